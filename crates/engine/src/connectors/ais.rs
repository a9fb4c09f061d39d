//! The JDE side of the flows over [`mlc_jde::AisClient`]: which tables, columns, conditions and
//! orders each port method reads (see `docs/jde-tables.md`).
use std::collections::HashMap;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use jiff::civil::Date;
use mlc_core::Decimal;
use mlc_core::ids::{AccountNumber, AddressNumber, BusinessUnitCode, OrderKey};
use mlc_core::jdetime::{JdeStamp, TimeOfDay};
use mlc_core::model::{BusinessUnit, GlAccount, PoLine, PoStatus, Supplier};
use mlc_jde::{
    AisClient, Asc, Condition, F0006Row, F0008Row, F0010Row, F0013Row, F0101Row, F0116Row,
    F0401Row, F0411Row, F0411Z1Row, F0901Row, F0911Row, F01151Row, F4301Row, F4311Row, JdeError,
    JdeRow, JobStatus, Literal, Op, PoReference, Query, VoucherInput, VoucherLineInput,
};

use crate::mapping::voucher::CurrencyMode;
use crate::ports::*;
use crate::refdata::CompanyInfo;
use crate::window::Window;

/// JDE through AIS.
#[derive(Clone, Debug)]
pub struct AisSource {
    client: AisClient,
    page_size: u32,
}

impl AisSource {
    /// Wraps a client; `page_size` rows per data service page.
    pub fn new(client: AisClient, page_size: u32) -> Self {
        Self { client, page_size }
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
                    .map_err(remote)
            })
            .boxed()
    }
    async fn all<R: JdeRow>(&self, q: Query) -> Result<Vec<R>, RemoteError> {
        self.client
            .browse::<R>(q)
            .try_concat()
            .await
            .map_err(remote)
    }
}

/// Maps a client error for the flows.
pub fn remote(e: JdeError) -> RemoteError {
    RemoteError {
        system: "jde",
        kind: e.kind(),
        message: e.to_string(),
        transient: e.is_transient(),
        login_rejected: matches!(e, JdeError::LoginRejected { .. }),
        outcome_unknown: matches!(e, JdeError::OutcomeUnknown { .. }),
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

fn header(r: F4301Row) -> PoHeader {
    let raw = serde_json::json!(format!("{r:?}"));
    PoHeader {
        key: key_of(&r.kcoo, &r.dcto, r.doco),
        supplier: AddressNumber(r.an8.max(0) as u64),
        business_unit: r.mcu.trim().to_owned(),
        order_date: r.trdj,
        currency: r.crcd.trim().to_owned(),
        hold_code: r.hold.trim().to_owned(),
        stamp: stamp(r.updated),
        raw,
    }
}

fn line(r: F4311Row) -> PoLineRow {
    let raw = serde_json::json!(format!("{r:?}"));
    let ani = r.ani.trim();
    let account = if !ani.is_empty() {
        ani.parse::<AccountNumber>().ok()
    } else if !r.omcu.trim().is_empty() && !r.obj.trim().is_empty() {
        Some(AccountNumber::new(&r.omcu, &r.obj, &r.sub))
    } else {
        None
    };
    let cc = if r.omcu.trim().is_empty() {
        &r.mcu
    } else {
        &r.omcu
    };
    let status = if r.lttr.trim() == "980" {
        PoStatus::Cancelled
    } else if r.nxtr.trim() == "999" {
        PoStatus::Closed
    } else {
        PoStatus::Open
    };
    let description = [r.dsc1.trim(), r.dsc2.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    PoLineRow {
        key: key_of(&r.kcoo, &r.dcto, r.doco),
        line: PoLine {
            line_number: r.lnid,
            item_number: r.litm.trim().to_owned(),
            description,
            quantity: r.uorg,
            unit_of_measure: r.uom.trim().to_owned(),
            unit_price: r.prrc,
            extended_price: r.aexp,
            account,
            cost_center: BusinessUnitCode::new(cc),
            status,
        },
        stamp: stamp(r.updated),
        raw,
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
        self.stream::<F4301Row, _>(q, |r| Some(header(r)))
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
        self.stream::<F4311Row, _>(q, |r| Some(line(r)))
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
            .all::<F4301Row>(q)
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
            .all::<F4311Row>(q)
            .await?
            .into_iter()
            .map(line)
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
        }
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
            self.all::<F0401Row>(self.q("F0401").condition(list()).order_by("AN8", Asc)),
            self.all::<F0101Row>(self.q("F0101").condition(list()).order_by("AN8", Asc)),
            self.all::<F0116Row>(
                self.q("F0116")
                    .condition(list())
                    .order_by("AN8", Asc)
                    .order_by("EFTB", Asc)
            ),
            self.all::<F01151Row>(
                self.q("F01151")
                    .condition(list())
                    .order_by("AN8", Asc)
                    .order_by("IDLN", Asc)
                    .order_by("RCK7", Asc)
            ),
        )?;
        let ab: HashMap<i64, F0101Row> = f0101.into_iter().map(|r| (r.an8, r)).collect();
        let today = jiff::Zoned::now().date();
        let mut addr: HashMap<i64, F0116Row> = HashMap::new();
        for r in f0116 {
            if r.eftb.is_none_or(|d| d <= today) {
                let keep = addr.get(&r.an8).is_none_or(|cur| cur.eftb <= r.eftb);
                if keep {
                    addr.insert(r.an8, r);
                }
            }
        }
        let mut mail: HashMap<i64, String> = HashMap::new();
        for r in f01151 {
            if r.etp.trim().eq_ignore_ascii_case("E") || r.etp.trim().is_empty() {
                mail.entry(r.an8)
                    .or_insert_with(|| r.emal.trim().to_owned());
            }
        }
        Ok(f0401
            .into_iter()
            .map(|s| {
                let a = ab.get(&s.an8);
                let ad = addr.get(&s.an8);
                let updated = [s.updated, a.and_then(|a| a.updated)].into_iter().flatten().max();
                let raw = serde_json::json!({"F0401": format!("{s:?}"), "F0101": a.map(|a| format!("{a:?}")), "F0116": ad.map(|a| format!("{a:?}"))});
                let sup = Supplier {
                    an8: AddressNumber(s.an8.max(0) as u64),
                    name: a.map(|a| a.alph.trim().to_owned()).unwrap_or_default(),
                    tax_id: a.map(|a| a.tax.trim().to_owned()).unwrap_or_default(),
                    address: ad
                        .map(|a| [a.add1.trim(), a.add2.trim(), a.add3.trim(), a.add4.trim()].iter().filter(|l| !l.is_empty()).copied().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default(),
                    city: ad.map(|a| a.cty1.trim().to_owned()).unwrap_or_default(),
                    postal_code: ad.map(|a| a.addz.trim().to_owned()).unwrap_or_default(),
                    country: ad.map(|a| a.ctr.trim().to_owned()).unwrap_or_default(),
                    email: mail.get(&s.an8).cloned().filter(|m| !m.is_empty()),
                    currency: s.crrp.trim().to_owned(),
                    active: s.hdpy.trim().is_empty(),
                    updated: stamp(updated),
                };
                (sup, raw)
            })
            .collect())
    }

    fn accounts_changed(&self, window: &Window) -> PageStream<(GlAccount, JdeStamp)> {
        let q = windowed(self.q("F0901"), window)
            .order_by("UPMJ", Asc)
            .order_by("AID", Asc);
        self.stream::<F0901Row, _>(q, |r| Some((account(&r), stamp(r.updated))))
    }

    fn business_units_changed(&self, window: &Window) -> PageStream<(BusinessUnit, JdeStamp)> {
        let q = windowed(self.q("F0006"), window)
            .order_by("UPMJ", Asc)
            .order_by("MCU", Asc);
        self.stream::<F0006Row, _>(q, |r| Some((bu(&r), stamp(r.updated))))
    }

    async fn business_units(&self) -> Result<Vec<BusinessUnit>, RemoteError> {
        Ok(self
            .all::<F0006Row>(self.q("F0006").order_by("MCU", Asc))
            .await?
            .iter()
            .map(bu)
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
        Ok(self.all::<F0901Row>(q).await?.iter().map(account).collect())
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
                gross: if r.crrm.trim() == "F" { r.acr } else { r.ag },
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
                gross: if r.crrm.trim() == "F" { r.acr } else { r.ag },
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
            .filter(|r| r.lt.trim().is_empty() || r.lt.trim() == "AA")
            .map(|r| GlLine {
                account: if r.ani.trim().is_empty() {
                    AccountNumber::new(&r.mcu, &r.obj, &r.sub).to_string()
                } else {
                    r.ani.trim().to_owned()
                },
                amount: if r.acr.is_zero() { r.aa } else { r.acr },
            })
            .collect())
    }

    async fn post_voucher(
        &self,
        orchestration: &str,
        req: &VoucherRequest,
    ) -> Result<(), RemoteError> {
        let p = &req.plan;
        let foreign = p.mode == CurrencyMode::Foreign;
        let input = VoucherInput {
            edus: req.edus.clone(),
            edbt: req.edbt.clone(),
            edtn: p.edtn.clone(),
            an8: p.an8.0 as i64,
            vinv: req.vinv.clone(),
            divj: p.invoice_date,
            dgj: p.gl_date,
            kco: p.company.clone(),
            co: Some(p.company.clone()),
            crcd: p.currency.clone(),
            crrm: if foreign { "F" } else { "D" }.to_owned(),
            ag: if foreign { Decimal::ZERO } else { p.gross },
            acr: foreign.then_some(p.gross),
            crr: None,
            stam: if foreign { None } else { p.tax_amount },
            ctam: if foreign { p.tax_amount } else { None },
            txa1: p.tax_area.clone(),
            exr1: p.tax_explanation.clone(),
            mcu: p.lines.first().map(|l| l.business_unit.clone()),
            rmk: Some(p.remark.clone()),
            pst: p.pay_status.clone(),
            ddj: p.due_date,
            ptc: p.payment_terms.clone(),
            adsc: p.discount_available,
            po: p.po.as_ref().map(|k| PoReference {
                po: k.doco.to_string(),
                pdct: k.dcto.clone(),
                pkco: k.kcoo.clone(),
            }),
            lines: p
                .lines
                .iter()
                .map(|l| VoucherLineInput {
                    edln: l.line,
                    ani: l.account.to_string(),
                    aa: (!foreign).then_some(l.amount),
                    acr: foreign.then_some(l.amount),
                    exa: l.explanation.clone(),
                    mcu: Some(l.business_unit.clone()),
                })
                .collect(),
        };
        self.client
            .add_voucher(orchestration, &input)
            .await
            .map(|_| ())
            .map_err(remote)
    }

    async fn launch_report(&self, report: &str, version: &str) -> Result<i64, RemoteError> {
        self.client
            .execute_report(report, version)
            .await
            .map(|j| j.job_number)
            .map_err(remote)
    }

    async fn report_status(&self, job_number: i64) -> Result<JobState, RemoteError> {
        let j = self
            .client
            .report_status(job_number)
            .await
            .map_err(remote)?;
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

fn account(r: &F0901Row) -> GlAccount {
    GlAccount {
        account: AccountNumber::new(&r.mcu, &r.obj, &r.sub),
        aid: r.aid.trim().to_owned(),
        company: r.co.trim().to_owned(),
        description: r.dl01.trim().to_owned(),
        postable: r.pec.trim().is_empty(),
    }
}

fn bu(r: &F0006Row) -> BusinessUnit {
    BusinessUnit {
        code: BusinessUnitCode::new(&r.mcu),
        company: r.co.trim().to_owned(),
        description: r.dl01.trim().to_owned(),
        kind: r.styl.trim().to_owned(),
    }
}
