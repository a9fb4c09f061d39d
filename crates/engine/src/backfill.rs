//! `backfill`: moves an entity's watermarks back so the next cycle reads again from a day.
//!
//! Re-reading is safe: every record goes through the ledger, so one that did not change since
//! it was synced counts as `unchanged` and nothing is written twice. A watermark is only ever
//! moved back: moving it forward would skip records.
use jiff::Timestamp;
use jiff::civil::Date;
use mlc_core::jdetime::{JdeStamp, TimeOfDay};
use mlc_core::record::Entity;
use mlc_store::StoreError;

use crate::engine::Engine;

/// Cursor names of an entity (JDE `CYYDDD:HHMMSS` stamps, or JAGGAER `lastUpdate` instants).
pub fn cursor_names(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Suppliers => &["suppliers/F0401", "suppliers/F0101"],
        Entity::Accounts => &["accounts/F0901", "accounts/F0006"],
        Entity::PurchaseOrders => &["purchase-orders/F4301", "purchase-orders/F4311"],
        Entity::Invoices => &[crate::flows::invoices::CURSOR],
    }
}

/// One watermark moved by [`Engine::backfill`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// Cursor name.
    pub cursor: String,
    /// Value before (`None`: never synced, the next cycle reads the whole history anyway).
    pub before: Option<String>,
    /// Value after.
    pub after: String,
}

/// Why a backfill was refused.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The date is after the current watermark.
    #[error(
        "{cursor} is at {current}, before {since}: backfill only moves watermarks back (moving \
         one forward would skip records)"
    )]
    Forward {
        /// Cursor name.
        cursor: String,
        /// Its value.
        current: String,
        /// The requested day.
        since: Date,
    },
}

impl Engine {
    /// Sets the watermarks of `entity` to the start of `since` (in the JDE time zone for JDE
    /// stamps; the same instant for JAGGAER's `lastUpdate`), and audits nothing: the records
    /// read again are audited by the next cycle as they go through.
    pub async fn backfill(&self, entity: Entity, since: Date) -> Result<Vec<Moved>, BackfillError> {
        let tenant = &self.settings.tenant;
        let jde = JdeStamp::new(since, TimeOfDay::from_raw(0).expect("midnight"));
        let instant: Timestamp = since
            .to_zoned(self.settings.jde_timezone.clone())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut plan = Vec::new();
        for name in cursor_names(entity) {
            let before = self.store.cursor(tenant, name).await?;
            let after = if entity == Entity::Invoices {
                instant.to_string()
            } else {
                jde.to_cursor()
            };
            if let Some(b) = &before {
                let later = if entity == Entity::Invoices {
                    b.parse::<Timestamp>().is_ok_and(|t| t < instant)
                } else {
                    JdeStamp::from_cursor(b).is_ok_and(|s| s < jde)
                };
                if later {
                    return Err(BackfillError::Forward {
                        cursor: (*name).to_owned(),
                        current: b.clone(),
                        since,
                    });
                }
            }
            plan.push(Moved {
                cursor: (*name).to_owned(),
                before,
                after,
            });
        }
        for m in &plan {
            self.store
                .set_cursor(tenant, &m.cursor, Some(&m.after))
                .await?;
        }
        tracing::info!(tenant = %tenant, entity = %entity, %since, "Watermarks moved back.");
        Ok(plan)
    }
}
