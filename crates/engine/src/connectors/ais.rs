//! The JDE side of the flows over [`mlc_jde::AisClient`]: which tables, columns, conditions and
//! orders each port method reads (see `docs/jde-tables.md`).
use std::collections::HashMap;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use jiff::civil::Date;
use mlc_core::ids::{AddressNumber, OrderKey};
use mlc_core::jdetime::{JdeStamp, TimeOfDay};
use mlc_core::model::{BusinessUnit, GlAccount, Supplier};
use mlc_jde::{
    AisClient, Asc, Condition, F0006Row, F0008Row, F0010Row, F0013Row, F0101Row, F0116Row,
    F0401MatchRow, F0401Row, F0411Row, F0411Z1Row, F0901Row, F0911Row, F01151Row, F4301Row,
    F4311Row, F43121Row, JdeError, JdeRow, JobStatus, Literal, Op, Query,
};

use crate::mapping::account::{account_from_f0901, business_unit_from_f0006};
use crate::mapping::purchase_order::{
    Parties, PartyOut, PoHeaderContent, PoStatusCodes, PostalAddressOut, line_from_f4311,
};
use crate::mapping::supplier::{InactiveRule, RuleTable, current_address, supplier_from_jde};
use crate::mapping::voucher::{
    gl_account, gl_amount, gross_of, is_actual_amount, match_input, voucher_input,
};
use crate::payee::PayeeState;
use crate::ports::*;
use crate::refdata::CompanyInfo;
use crate::window::Window;

/// JDE through AIS.
#[derive(Clone, Debug)]
pub struct AisSource {
    client: AisClient,
    page_size: u32,
    po_status: PoStatusCodes,
    inactive: InactiveRule,
    timezone: jiff::tz::TimeZone,
    payee_column: String,
}

/// F0101's Factor/Special Payee column (`[tenants.jde] payee_column`): the field is on the
/// Address Book record (Oracle's A/P guide, "Factor/Special Payee"); its alias is assumed.
pub const DEFAULT_PAYEE_COLUMN: &str = "AN86";

impl AisSource {
    /// Wraps a client; `page_size` rows per data service page.
    pub fn new(client: AisClient, page_size: u32) -> Self {
        Self {
            client,
            page_size,
            po_status: PoStatusCodes::default(),
            inactive: InactiveRule::default(),
            timezone: jiff::tz::TimeZone::system(),
            payee_column: DEFAULT_PAYEE_COLUMN.to_owned(),
        }
    }
    /// `[tenants.jde] payee_column`: the F0101 column holding a supplier's special payee.
    pub fn with_payee_column(mut self, column: &str) -> Self {
        self.payee_column = column.trim().to_ascii_uppercase();
        self
    }
    /// `jde_timezone`: "today" for effective-dated addresses (default: the system's zone).
    pub fn with_timezone(mut self, tz: jiff::tz::TimeZone) -> Self {
        self.timezone = tz;
        self
    }
    /// `inactive_suppliers`: which suppliers are INACTIVE (default: none).
    pub fn with_inactive_suppliers(mut self, rule: InactiveRule) -> Self {
        self.inactive = rule;
        self
    }
    /// A query on a supplier table with its row type's columns and the `inactive_suppliers`
    /// rule's column when it reads one of this table.
    fn supplier_q(&self, table: RuleTable, own: &[&str]) -> Query {
        let q = self.q(table.name());
        match self.inactive.extra_column(table) {
            Some(extra) if !own.contains(&extra) => {
                let mut cols = own.to_vec();
                cols.push(extra);
                q.columns(&cols)
            }
            _ => q,
        }
    }
    /// The F4311 status codes that mean cancelled and closed (default 980 and 999).
    pub fn with_po_status_codes(mut self, codes: PoStatusCodes) -> Self {
        self.po_status = codes;
        self
    }
    /// The client (for `ping`).
    pub fn client(&self) -> &AisClient {
        &self.client
    }
    fn q(&self, table: &str) -> Query {
        Query::new(table).page_size(self.page_size)
    }
    fn stream<R: JdeRow, T: Send + 'static>(
        &self,
        q: Query,
        f: impl Fn(R) -> Option<T> + Send + Sync + 'static,
    ) -> PageStream<T> {
        self.client
            .browse::<R>(q)
            .map(move |page| {
                page.map(|rows| rows.into_iter().filter_map(&f).collect())
                    .map_err(classify)
            })
            .boxed()
    }
    async fn all<R: JdeRow>(&self, q: Query) -> Result<Vec<R>, RemoteError> {
        self.client
            .browse::<R>(q)
            .try_concat()
            .await
            .map_err(classify)
    }
}

/// A typed row together with the row as JDE returned it (for quarantine and audit payloads).
struct Raw<R> {
    row: R,
    json: serde_json::Value,
}

impl<R: JdeRow> JdeRow for Raw<R> {
    const TABLE: &'static str = R::TABLE;
    const COLUMNS: &'static [&'static str] = R::COLUMNS;
    const DATE_COLUMNS: &'static [&'static str] = R::DATE_COLUMNS;
    fn decode(
        row: &serde_json::Map<String, serde_json::Value>,
        index: usize,
    ) -> Result<Self, JdeError> {
        Ok(Raw {
            row: R::decode(row, index)?,
            json: serde_json::Value::Object(row.clone()),
        })
    }
}

/// Classifies an AIS client error for the flows: every [`JdeError`] maps to exactly one
/// [`RemoteErrorKind`] here, and nowhere else.
pub fn classify(e: JdeError) -> RemoteError {
    use RemoteErrorKind::*;
    let mut retry_after = None;
    let kind = match &e {
        JdeError::Config(_) | JdeError::Query { .. } => ConfigMissing,
        JdeError::LoginRejected { .. } => AuthRejected,
        // The session token refused again right after a fresh login: not the credentials (the
        // login itself went through), so try again next cycle.
        JdeError::SessionRejected { .. } => Transient,
        JdeError::Remote { business: true, .. } | JdeError::Orchestration { .. } => RecordRefused,
        JdeError::Remote {
            status: 429,
            retry_after: after,
            ..
        } => {
            retry_after = *after;
            RateLimited
        }
        JdeError::Remote { status, .. } if *status >= 500 || *status == 408 => Transient,
        JdeError::Remote {
            status: 401 | 444 | 445 | 446,
            ..
        } => Transient,
        // The service account may not use this table or orchestration: every record would fail.
        JdeError::Remote { status: 403, .. } => ConfigMissing,
        // Any other 4xx of the orchestrator refuses the voucher it was given; of a data
        // request, it refuses the query we built.
        JdeError::Remote { endpoint, .. } if *endpoint == "orchestrator" => RecordRefused,
        JdeError::Remote { .. } => ConfigMissing,
        JdeError::OutcomeUnknown { .. } => OutcomeUnknown,
        // A voucher call that was sent (not just a refused connection) and got no readable
        // answer may have gone through.
        JdeError::Malformed { endpoint, .. }
        | JdeError::Transport {
            endpoint,
            connect: false,
            ..
        } if *endpoint == "orchestrator" => OutcomeUnknown,
        JdeError::Malformed { .. }
        | JdeError::Decode { .. }
        | JdeError::Transport { .. }
        | JdeError::ResultSetExpired { .. }
        | JdeError::Paging { .. } => Transient,
        // A variant added to the client later: retried, never quarantined, until classified.
        _ => Transient,
    };
    RemoteError {
        system: "jde",
        kind,
        message: e.to_string(),
        retry_after,
    }
}

fn windowed(mut q: Query, w: &Window) -> Query {
    if let Some(lo) = w.lo {
        q = q.condition(Condition::new("UPMJ", Op::GreaterEqual, lo.date));
    }
    q.condition(Condition::new("UPMJ", Op::LessEqual, w.hi.date))
}

fn stamp(s: Option<JdeStamp>) -> JdeStamp {
    s.unwrap_or_else(|| JdeStamp::new(Date::constant(1900, 1, 1), TimeOfDay::MIDNIGHT))
}

fn key_of(kcoo: &str, dcto: &str, doco: i64) -> OrderKey {
    OrderKey::new(kcoo.trim(), dcto.trim(), doco.max(0) as u64)
}

fn header(r: Raw<F4301Row>) -> PoHeader {
    let Raw { row: r, json } = r;
    PoHeader {
        key: key_of(&r.kcoo, &r.dcto, r.doco),
        supplier: AddressNumber(r.an8.max(0) as u64),
        business_unit: r.mcu.trim().to_owned(),
        order_date: r.trdj,
        currency_mode: r.crrm.trim().to_owned(),
        currency: r.crcd.trim().to_owned(),
        hold_code: r.hold.trim().to_owned(),
        content: PoHeaderContent::from_f4301(&r),
        stamp: stamp(r.updated),
        raw: json,
    }
}

fn line(r: Raw<F4311Row>, codes: &PoStatusCodes) -> PoLineRow {
    PoLineRow {
        key: key_of(&r.row.kcoo, &r.row.dcto, r.row.doco),
        line: line_from_f4311(&r.row, codes),
        stamp: stamp(r.row.updated),
        raw: r.json,
    }
}

fn doco_list(keys: &[OrderKey]) -> (Condition, Condition) {
    let mut docos: Vec<i64> = keys.iter().map(|k| k.doco as i64).collect();
    docos.sort_unstable();
    docos.dedup();
    let mut types: Vec<String> = keys.iter().map(|k| k.dcto.clone()).collect();
    types.sort();
    types.dedup();
    (
        Condition::list("DOCO", docos.into_iter().map(Literal::Int)),
        Condition::list("DCTO", types),
    )
}

#[async_trait]
impl JdeSource for AisSource {
    fn po_headers_changed(
        &self,
        window: &Window,
        order_types: &[String],
        start_date: Option<Date>,
    ) -> PageStream<PoHeader> {
        let mut q = windowed(self.q("F4301"), window)
            .condition(Condition::list("DCTO", order_types.to_vec()));
        if let Some(d) = start_date {
            q = q.condition(Condition::new("TRDJ", Op::GreaterEqual, d));
        }
        let q = q
            .order_by("UPMJ", Asc)
            .order_by("TDAY", Asc)
            .order_by("DOCO", Asc)
            .order_by("DCTO", Asc)
            .order_by("KCOO", Asc);
        self.stream::<Raw<F4301Row>, _>(q, |r| Some(header(r)))
    }

    fn po_lines_changed(&self, window: &Window, order_types: &[String]) -> PageStream<PoLineRow> {
        let q = windowed(self.q("F4311"), window)
            .condition(Condition::list("DCTO", order_types.to_vec()))
            .order_by("UPMJ", Asc)
            .order_by("TDAY", Asc)
            .order_by("DOCO", Asc)
            .order_by("DCTO", Asc)
            .order_by("KCOO", Asc)
            .order_by("LNID", Asc);
        let codes = self.po_status.clone();
        self.stream::<Raw<F4311Row>, _>(q, move |r| Some(line(r, &codes)))
    }

    async fn po_headers(&self, keys: &[OrderKey]) -> Result<Vec<PoHeader>, RemoteError> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let (d, t) = doco_list(keys);
        let q = self
            .q("F4301")
            .condition(d)
            .condition(t)
            .order_by("DOCO", Asc)
            .order_by("DCTO", Asc)
            .order_by("KCOO", Asc);
        let wanted: std::collections::HashSet<&OrderKey> = keys.iter().collect();
        Ok(self
            .all::<Raw<F4301Row>>(q)
            .await?
            .into_iter()
            .map(header)
            .filter(|h| wanted.contains(&h.key))
            .collect())
    }

    async fn po_lines(&self, keys: &[OrderKey]) -> Result<Vec<PoLineRow>, RemoteError> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let (d, t) = doco_list(keys);
        let q = self
            .q("F4311")
            .condition(d)
            .condition(t)
            .order_by("DOCO", Asc)
            .order_by("DCTO", Asc)
            .order_by("KCOO", Asc)
            .order_by("LNID", Asc);
        let wanted: std::collections::HashSet<&OrderKey> = keys.iter().collect();
        Ok(self
            .all::<Raw<F4311Row>>(q)
            .await?
            .into_iter()
            .map(|r| line(r, &self.po_status))
            .filter(|l| wanted.contains(&l.key))
            .collect())
    }

    fn supplier_keys_changed(
        &self,
        table: SupplierTable,
        window: &Window,
    ) -> PageStream<(AddressNumber, JdeStamp)> {
        match table {
            SupplierTable::F0401 => {
                let q = windowed(self.q("F0401"), window)
                    .order_by("UPMJ", Asc)
                    .order_by("UPMT", Asc)
                    .order_by("AN8", Asc);
                self.stream::<F0401Row, _>(q, |r| {
                    Some((AddressNumber(r.an8.max(0) as u64), stamp(r.updated)))
                })
            }
            SupplierTable::F0101 => {
                let q = windowed(self.q("F0101"), window)
                    .condition(Condition::new("AT1", Op::Equal, "V"))
                    .order_by("UPMJ", Asc)
                    .order_by("UPMT", Asc)
                    .order_by("AN8", Asc);
                self.stream::<F0101Row, _>(q, |r| {
                    Some((AddressNumber(r.an8.max(0) as u64), stamp(r.updated)))
                })
            }
            // Every address book entry's rows, not only suppliers' (F0116 and F01151 have no
            // search type): numbers that are no supplier find no F0401 row and are dropped.
            SupplierTable::F0116 => {
                let q = windowed(self.q("F0116"), window)
                    .columns(&["AN8", "EFTB", "UPMJ", "UPMT"])
                    .order_by("UPMJ", Asc)
                    .order_by("UPMT", Asc)
                    .order_by("AN8", Asc)
                    .order_by("EFTB", Asc);
                self.stream::<F0116Row, _>(q, |r| {
                    Some((AddressNumber(r.an8.max(0) as u64), stamp(r.updated)))
                })
            }
            SupplierTable::F01151 => {
                let q = windowed(self.q("F01151"), window)
                    .columns(&["AN8", "IDLN", "RCK7", "UPMJ", "UPMT"])
                    .order_by("UPMJ", Asc)
                    .order_by("UPMT", Asc)
                    .order_by("AN8", Asc)
                    .order_by("IDLN", Asc)
                    .order_by("RCK7", Asc);
                self.stream::<F01151Row, _>(q, |r| {
                    Some((AddressNumber(r.an8.max(0) as u64), stamp(r.updated)))
                })
            }
        }
    }

    async fn addresses_effective(
        &self,
        after: Date,
        upto: Date,
    ) -> Result<Vec<AddressNumber>, RemoteError> {
        let q = self
            .q("F0116")
            .columns(&["AN8", "EFTB"])
            .condition(Condition::new("EFTB", Op::Greater, after))
            .condition(Condition::new("EFTB", Op::LessEqual, upto))
            .order_by("AN8", Asc)
            .order_by("EFTB", Asc);
        let mut an8s: Vec<AddressNumber> = self
            .all::<F0116Row>(q)
            .await?
            .into_iter()
            .map(|r| AddressNumber(r.an8.max(0) as u64))
            .collect();
        an8s.dedup();
        Ok(an8s)
    }

    async fn payees(&self, suppliers: &[AddressNumber]) -> Result<Vec<PayeeState>, RemoteError> {
        if suppliers.is_empty() {
            return Ok(Vec::new());
        }
        let col = self.payee_column.as_str();
        let list = |an8s: &[i64]| Condition::list("AN8", an8s.iter().map(|a| Literal::Int(*a)));
        let nums: Vec<i64> = suppliers.iter().map(|a| a.0 as i64).collect();
        let f0101 = self
            .all::<Raw<F0101Row>>(
                self.q("F0101")
                    .columns(&["AN8", col, "UPMJ", "UPMT"])
                    .condition(list(&nums))
                    .order_by("AN8", Asc),
            )
            .await?;
        let payee_of = |r: &Raw<F0101Row>| {
            let p = r.json[&format!("F0101_{col}")]
                .as_i64()
                .or_else(|| {
                    r.json[&format!("F0101_{col}")]
                        .as_str()
                        .and_then(|s| s.trim().parse().ok())
                })
                .unwrap_or(0);
            if p > 0 { p } else { r.row.an8 }
        };
        let mut payees: Vec<i64> = f0101.iter().map(payee_of).collect();
        payees.sort_unstable();
        payees.dedup();
        let f0116 = self
            .all::<F0116Row>(
                self.q("F0116")
                    .columns(&["AN8", "EFTB", "UPMJ", "UPMT"])
                    .condition(list(&payees))
                    .order_by("AN8", Asc),
            )
            .await?;
        let today = jiff::Timestamp::now()
            .to_zoned(self.timezone.clone())
            .date();
        let mut address_changed: HashMap<i64, JdeStamp> = HashMap::new();
        for r in f0116 {
            let took_effect = r
                .eftb
                .filter(|d| *d <= today)
                .map(|d| JdeStamp::new(d, TimeOfDay::MIDNIGHT));
            if let Some(s) = r.updated.max(took_effect) {
                let e = address_changed.entry(r.an8).or_insert(s);
                *e = (*e).max(s);
            }
        }
        Ok(f0101
            .iter()
            .map(|r| {
                let payee = payee_of(r);
                PayeeState {
                    supplier: AddressNumber(r.row.an8.max(0) as u64),
                    payee: AddressNumber(payee.max(0) as u64),
                    changed: r.row.updated.max(address_changed.get(&payee).copied()),
                }
            })
            .collect())
    }

    async fn parties(&self, an8s: &[AddressNumber]) -> Result<Parties, RemoteError> {
        if an8s.is_empty() {
            return Ok(Parties::new());
        }
        let list = || Condition::list("AN8", an8s.iter().map(|a| Literal::Int(a.0 as i64)));
        let (f0101, f0116) = futures::try_join!(
            self.all::<F0101Row>(
                self.q("F0101")
                    .columns(&["AN8", "ALPH"])
                    .condition(list())
                    .order_by("AN8", Asc)
            ),
            self.all::<F0116Row>(
                self.q("F0116")
                    .condition(list())
                    .order_by("AN8", Asc)
                    .order_by("EFTB", Asc)
            ),
        )?;
        let today = jiff::Timestamp::now()
            .to_zoned(self.timezone.clone())
            .date();
        let mut addresses: HashMap<i64, Vec<F0116Row>> = HashMap::new();
        for r in f0116 {
            addresses.entry(r.an8).or_default().push(r);
        }
        Ok(f0101
            .into_iter()
            .map(|r| {
                let rows = addresses.get(&r.an8).map(Vec::as_slice).unwrap_or_default();
                let address =
                    current_address(rows.iter(), today).and_then(PostalAddressOut::from_f0116);
                (
                    AddressNumber(r.an8.max(0) as u64),
                    PartyOut {
                        number: r.an8.to_string(),
                        name: r.alph.trim().to_owned(),
                        address,
                    },
                )
            })
            .collect())
    }

    async fn suppliers(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<Vec<(Supplier, serde_json::Value)>, RemoteError> {
        if an8s.is_empty() {
            return Ok(vec![]);
        }
        let list = || Condition::list("AN8", an8s.iter().map(|a| Literal::Int(a.0 as i64)));
        let (f0401, f0101, f0116, f01151) = futures::try_join!(
            self.all::<Raw<F0401Row>>(
                self.supplier_q(RuleTable::F0401, F0401Row::COLUMNS)
                    .condition(list())
                    .order_by("AN8", Asc)
            ),
            self.all::<Raw<F0101Row>>(
                self.supplier_q(RuleTable::F0101, F0101Row::COLUMNS)
                    .condition(list())
                    .order_by("AN8", Asc)
            ),
            self.all::<Raw<F0116Row>>(
                self.q("F0116")
                    .condition(list())
                    .order_by("AN8", Asc)
                    .order_by("EFTB", Asc)
            ),
            self.all::<Raw<F01151Row>>(
                self.q("F01151")
                    .condition(list())
                    .order_by("AN8", Asc)
                    .order_by("IDLN", Asc)
                    .order_by("RCK7", Asc)
            ),
        )?;
        let ab: HashMap<i64, Raw<F0101Row>> = f0101.into_iter().map(|r| (r.row.an8, r)).collect();
        let mut addresses: HashMap<i64, Vec<Raw<F0116Row>>> = HashMap::new();
        for r in f0116 {
            addresses.entry(r.row.an8).or_default().push(r);
        }
        let mut emails: HashMap<i64, Vec<Raw<F01151Row>>> = HashMap::new();
        for r in f01151 {
            emails.entry(r.row.an8).or_default().push(r);
        }
        let today = jiff::Timestamp::now()
            .to_zoned(self.timezone.clone())
            .date();
        Ok(f0401
            .into_iter()
            .map(|s| {
                let an8 = s.row.an8;
                let a = ab.get(&an8);
                let ads = addresses.get(&an8).map(Vec::as_slice).unwrap_or_default();
                let ems = emails.get(&an8).map(Vec::as_slice).unwrap_or_default();
                let sup = supplier_from_jde(
                    &s.row,
                    a.map(|a| &a.row),
                    ads.iter().map(|r| &r.row),
                    ems.iter().map(|r| &r.row),
                    today,
                    self.inactive.is_active(&s.json, a.map(|a| &a.json)),
                );
                let raw = serde_json::json!({
                    "F0401": s.json,
                    "F0101": a.map(|a| a.json.clone()),
                    "F0116": ads.iter().map(|r| r.json.clone()).collect::<Vec<_>>(),
                    "F01151": ems.iter().map(|r| r.json.clone()).collect::<Vec<_>>(),
                });
                (sup, raw)
            })
            .collect())
    }

    fn accounts_changed(&self, window: &Window) -> PageStream<(GlAccount, JdeStamp)> {
        let q = windowed(self.q("F0901"), window)
            .order_by("UPMJ", Asc)
            .order_by("AID", Asc);
        self.stream::<F0901Row, _>(q, |r| Some((account_from_f0901(&r), stamp(r.updated))))
    }

    fn business_units_changed(&self, window: &Window) -> PageStream<(BusinessUnit, JdeStamp)> {
        let q = windowed(self.q("F0006"), window)
            .order_by("UPMJ", Asc)
            .order_by("MCU", Asc);
        self.stream::<F0006Row, _>(q, |r| {
            Some((business_unit_from_f0006(&r), stamp(r.updated)))
        })
    }

    async fn business_units(&self) -> Result<Vec<BusinessUnit>, RemoteError> {
        Ok(self
            .all::<F0006Row>(self.q("F0006").order_by("MCU", Asc))
            .await?
            .iter()
            .map(business_unit_from_f0006)
            .collect())
    }

    async fn accounts_by_bu(&self, bus: &[String]) -> Result<Vec<GlAccount>, RemoteError> {
        if bus.is_empty() {
            return Ok(vec![]);
        }
        let q = self
            .q("F0901")
            .condition(Condition::list("MCU", bus.to_vec()))
            .order_by("AID", Asc);
        Ok(self
            .all::<F0901Row>(q)
            .await?
            .iter()
            .map(account_from_f0901)
            .collect())
    }

    async fn companies(&self) -> Result<Vec<CompanyInfo>, RemoteError> {
        let (f0010, f0008) = futures::try_join!(
            self.all::<F0010Row>(self.q("F0010").order_by("CO", Asc)),
            self.all::<F0008Row>(self.q("F0008").order_by("DTPN", Asc).order_by("DFYJ", Asc)),
        )?;
        Ok(f0010
            .into_iter()
            .map(|r| {
                let pattern = if r.dtpn.trim().is_empty() {
                    "R"
                } else {
                    r.dtpn.trim()
                };
                let start = r.apfj.or(r.dfyj);
                let period = if r.appn > 0 { r.appn } else { r.pnc };
                let ends = f0008
                    .iter()
                    .find(|p| p.dtpn.trim() == pattern && p.dfyj.is_some() && p.dfyj == start)
                    .map(|p| crate::refdata::period_ends(p.ends.iter().copied()))
                    .unwrap_or_default();
                CompanyInfo {
                    company: r.co.trim().to_owned(),
                    currency: r.crcd.trim().to_owned(),
                    fiscal_year_start: start,
                    current_period: u32::try_from(period).ok().filter(|p| *p > 0),
                    period_ends: ends,
                }
            })
            .collect())
    }

    async fn currency_decimals(&self) -> Result<HashMap<String, u32>, RemoteError> {
        Ok(self
            .all::<F0013Row>(self.q("F0013").order_by("CRCD", Asc))
            .await?
            .into_iter()
            .map(|r| (r.crcd.trim().to_owned(), r.cdec))
            .collect())
    }

    async fn z_vouchers(&self, edus: &str, edtns: &[String]) -> Result<Vec<ZVoucher>, RemoteError> {
        if edtns.is_empty() {
            return Ok(vec![]);
        }
        let q = self
            .q("F0411Z1")
            .condition(Condition::new("EDUS", Op::Equal, edus))
            .condition(Condition::list("EDTN", edtns.to_vec()))
            .order_by("EDTN", Asc)
            .order_by("EDBT", Asc)
            .order_by("EDLN", Asc);
        Ok(z_pay_items(self.all::<F0411Z1Row>(q).await?))
    }

    async fn z_batches(&self, edus: &str, edbts: &[String]) -> Result<Vec<ZVoucher>, RemoteError> {
        if edbts.is_empty() {
            return Ok(vec![]);
        }
        let q = self
            .q("F0411Z1")
            .condition(Condition::new("EDUS", Op::Equal, edus))
            .condition(Condition::list("EDBT", edbts.to_vec()))
            .order_by("EDBT", Asc)
            .order_by("EDTN", Asc)
            .order_by("EDLN", Asc);
        Ok(z_pay_items(self.all::<F0411Z1Row>(q).await?))
    }

    async fn vouchers_of(&self, an8s: &[AddressNumber]) -> Result<Vec<ApVoucher>, RemoteError> {
        if an8s.is_empty() {
            return Ok(vec![]);
        }
        let q = self
            .q("F0411")
            .condition(Condition::list(
                "AN8",
                an8s.iter().map(|a| Literal::Int(a.0 as i64)),
            ))
            .order_by("AN8", Asc)
            .order_by("DOC", Asc)
            .order_by("SFX", Asc);
        let mut vouchers = self
            .all::<F0411Row>(q)
            .await?
            .into_iter()
            .map(|r| ApVoucher {
                an8: AddressNumber(r.an8.max(0) as u64),
                vinv: r.vinv.trim().to_owned(),
                doc: VoucherDoc {
                    doc: r.doc.max(0) as u64,
                    dct: r.dct.trim().to_owned(),
                    kco: r.kco.trim().to_owned(),
                    icu: r.icu.unwrap_or_default().max(0) as u64,
                },
                gross: gross_of(&r.crrm, r.ag, r.acr),
                currency: r.crcd.trim().to_owned(),
                pending: None,
            })
            .collect::<Vec<_>>();
        // Z-file vouchers not processed yet (ours from an earlier run, or another interface's)
        // hold their supplier invoice numbers too: R04110ZA would refuse a second one.
        let q = self
            .q("F0411Z1")
            .condition(Condition::list(
                "AN8",
                an8s.iter().map(|a| Literal::Int(a.0 as i64)),
            ))
            .condition(Condition::new("EDSP", Op::NotEqual, "1"))
            .order_by("EDUS", Asc)
            .order_by("EDBT", Asc)
            .order_by("EDTN", Asc)
            .order_by("EDLN", Asc);
        for r in self.all::<F0411Z1Row>(q).await? {
            vouchers.push(ApVoucher {
                an8: AddressNumber(r.an8.max(0) as u64),
                vinv: r.vinv.trim().to_owned(),
                doc: VoucherDoc {
                    doc: 0,
                    dct: String::new(),
                    kco: r.kco.trim().to_owned(),
                    icu: 0,
                },
                gross: gross_of(&r.crrm, r.ag, r.acr),
                currency: r.crcd.trim().to_owned(),
                pending: Some(format!(
                    "{}/{}/{}",
                    r.edus.trim(),
                    r.edbt.trim(),
                    r.edtn.trim()
                )),
            });
        }
        Ok(vouchers)
    }

    async fn distribution(&self, doc: &VoucherDoc) -> Result<Vec<GlLine>, RemoteError> {
        let q = self
            .q("F0911")
            .condition(Condition::new(
                "DOC",
                Op::Equal,
                Literal::Int(doc.doc as i64),
            ))
            .condition(Condition::new("DCT", Op::Equal, doc.dct.as_str()))
            .condition(Condition::new("KCO", Op::Equal, doc.kco.as_str()))
            .order_by("JELN", Asc);
        Ok(self
            .all::<F0911Row>(q)
            .await?
            .into_iter()
            .filter(|r| is_actual_amount(&r.lt))
            .map(|r| GlLine {
                account: gl_account(&r.ani, &r.mcu, &r.obj, &r.sub),
                amount: gl_amount(r.aa, r.acr),
            })
            .collect())
    }

    async fn receipts(&self, keys: &[OrderKey]) -> Result<Vec<Receipt>, RemoteError> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let (d, t) = doco_list(keys);
        let q = self
            .q("F43121")
            .condition(d)
            .condition(t)
            .condition(Condition::list("MATC", ["1", "2"]))
            .order_by("DOCO", Asc)
            .order_by("DCTO", Asc)
            .order_by("KCOO", Asc)
            .order_by("LNID", Asc)
            .order_by("MATC", Asc)
            .order_by("DOC", Asc)
            .order_by("NLIN", Asc);
        let wanted: std::collections::HashSet<&OrderKey> = keys.iter().collect();
        Ok(self
            .all::<F43121Row>(q)
            .await?
            .into_iter()
            .map(|r| Receipt {
                key: key_of(&r.kcoo, &r.dcto, r.doco),
                lnid: r.lnid.normalize(),
                kind: if r.matc.trim() == "2" {
                    ReceiptKind::Match
                } else {
                    ReceiptKind::Receipt
                },
                line: r.nlin,
                doc: r.doc.max(0) as u64,
                dct: r.dct.trim().to_owned(),
                kco: r.kco.trim().to_owned(),
                an8: AddressNumber(r.an8.max(0) as u64),
                date: r.rcdj,
                quantity: r.urec,
                amount: r.arec,
                open_quantity: r.uopn,
                open_amount: r.aopn,
                open_foreign_amount: r.fap,
            })
            .filter(|r| wanted.contains(&r.key))
            .collect())
    }

    async fn supplier_match_rules(
        &self,
        an8s: &[AddressNumber],
    ) -> Result<HashMap<AddressNumber, String>, RemoteError> {
        if an8s.is_empty() {
            return Ok(HashMap::new());
        }
        let q = self
            .q("F0401")
            .condition(Condition::list(
                "AN8",
                an8s.iter().map(|a| Literal::Int(a.0 as i64)),
            ))
            .order_by("AN8", Asc);
        Ok(self
            .all::<F0401MatchRow>(q)
            .await?
            .into_iter()
            .map(|r| (AddressNumber(r.an8.max(0) as u64), r.atrl.trim().to_owned()))
            .collect())
    }

    async fn post_voucher(
        &self,
        orchestration: &str,
        req: &VoucherRequest,
    ) -> Result<(), RemoteError> {
        let sent = match match_input(&req.plan, &req.edus, &req.edbt, &req.vinv) {
            Some(m) => self.client.add_voucher_match(orchestration, &m).await,
            None => {
                let input = voucher_input(&req.plan, &req.edus, &req.edbt, &req.vinv);
                self.client.add_voucher(orchestration, &input).await
            }
        };
        sent.map(|_| ()).map_err(classify)
    }

    async fn launch_report(&self, report: &str, version: &str) -> Result<i64, RemoteError> {
        self.client
            .execute_report(report, version)
            .await
            .map(|j| j.job_number)
            .map_err(classify)
    }

    async fn report_status(&self, job_number: i64) -> Result<JobState, RemoteError> {
        let j = self
            .client
            .report_status(job_number)
            .await
            .map_err(classify)?;
        Ok(match j.status {
            JobStatus::Waiting => JobState::Waiting,
            JobStatus::Processing => JobState::Processing,
            JobStatus::Done => JobState::Done,
            JobStatus::Error => JobState::Error,
        })
    }
}

/// One [`ZVoucher`] per transaction (its first pay item). `EDER` is never read: JDE ignores
/// it, and a failed row only stays at `EDSP = 0` (docs/vouchers.md).
fn z_pay_items(rows: Vec<F0411Z1Row>) -> Vec<ZVoucher> {
    let mut out: Vec<ZVoucher> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        let z = ZVoucher {
            edtn: r.edtn.trim().to_owned(),
            edbt: r.edbt.trim().to_owned(),
            processed: r.is_processed(),
            doc: r.doc.map(|doc| VoucherDoc {
                doc: doc as u64,
                dct: r.dct.trim().to_owned(),
                kco: r.kco.trim().to_owned(),
                icu: r.icu.unwrap_or_default().max(0) as u64,
            }),
            an8: AddressNumber(r.an8.max(0) as u64),
            vinv: r.vinv.trim().to_owned(),
        };
        if seen.insert((z.edbt.clone(), z.edtn.clone())) {
            out.push(z);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use RemoteErrorKind::*;

    /// A real `reqwest::Error`, made without any network (an unparseable URL).
    fn reqwest_error() -> reqwest::Error {
        reqwest::Client::new()
            .get("http://[::1")
            .build()
            .expect_err("invalid URL")
    }

    fn remote(endpoint: &'static str, status: u16, business: bool) -> JdeError {
        JdeError::Remote {
            endpoint,
            status,
            message: "m".into(),
            exception: None,
            body: String::new(),
            errors: vec![],
            business,
            retry_after: (status == 429).then(|| std::time::Duration::from_secs(7)),
        }
    }

    fn transport(endpoint: &'static str, connect: bool) -> JdeError {
        JdeError::Transport {
            endpoint,
            connect,
            timeout: !connect,
            source: reqwest_error(),
        }
    }

    fn malformed(endpoint: &'static str) -> JdeError {
        JdeError::Malformed {
            endpoint,
            path: "p".into(),
            reason: "r".into(),
            body: String::new(),
        }
    }

    #[test]
    fn every_ais_error_maps_to_one_kind() {
        let cases: Vec<(JdeError, RemoteErrorKind)> = vec![
            (JdeError::Config("bad url".into()), ConfigMissing),
            (
                JdeError::LoginRejected {
                    status: 403,
                    username: "MLCONN".into(),
                    message: "m".into(),
                },
                AuthRejected,
            ),
            (
                JdeError::SessionRejected {
                    message: "m".into(),
                },
                Transient,
            ),
            (remote("orchestrator", 500, true), RecordRefused),
            (remote("dataservice", 429, false), RateLimited),
            (remote("dataservice", 500, false), Transient),
            (remote("dataservice", 503, false), Transient),
            (remote("dataservice", 408, false), Transient),
            (remote("dataservice", 401, false), Transient),
            (remote("dataservice", 444, false), Transient),
            (remote("dataservice", 403, false), ConfigMissing),
            (remote("orchestrator", 403, false), ConfigMissing),
            (remote("orchestrator", 400, false), RecordRefused),
            (remote("orchestrator", 422, false), RecordRefused),
            (remote("dataservice", 400, false), ConfigMissing),
            (
                JdeError::ResultSetExpired {
                    message: "JAS_MSG347".into(),
                },
                Transient,
            ),
            (
                JdeError::Orchestration {
                    name: "ML_AddVoucherBatch".into(),
                    message: "m".into(),
                    errors: vec![],
                },
                RecordRefused,
            ),
            (
                JdeError::OutcomeUnknown {
                    endpoint: "orchestrator",
                    reason: "timeout".into(),
                },
                OutcomeUnknown,
            ),
            (transport("dataservice", true), Transient),
            (transport("dataservice", false), Transient),
            (transport("orchestrator", true), Transient),
            (transport("orchestrator", false), OutcomeUnknown),
            (malformed("dataservice"), Transient),
            (malformed("orchestrator"), OutcomeUnknown),
            (
                JdeError::Decode {
                    table: "F4301",
                    row: 0,
                    field: "F4301_OTOT".into(),
                    reason: "r".into(),
                },
                Transient,
            ),
            (
                JdeError::Query {
                    table: "F4301".into(),
                    reason: "r".into(),
                },
                ConfigMissing,
            ),
            (
                JdeError::Paging {
                    table: "F4301".into(),
                    reason: "r".into(),
                },
                Transient,
            ),
        ];
        for (e, want) in cases {
            let text = e.to_string();
            let got = classify(e);
            assert_eq!(got.kind, want, "{text}");
            assert_eq!(got.system, "jde");
            assert_eq!(got.message, text);
            assert_eq!(got.is_record_refusal(), want == RecordRefused);
        }
    }

    #[test]
    fn a_rate_limit_keeps_the_wait_jde_asked_for() {
        let got = classify(remote("dataservice", 429, false));
        assert_eq!(got.retry_after, Some(std::time::Duration::from_secs(7)));
    }
}
