//! JD Edwards EnterpriseOne AIS Server simulator.
//!
//! A real HTTP server (axum, loopback) that answers like an AIS server in front of a JDE 9.2
//! database, for `ml-connector demo`/`sim`, the tests and the benchmark. It shares no code with
//! the AIS client (`mlc-jde`): the wire format is encoded here from the simulator's own tables.
//!
//! # Layout
//! - [`config`]: [`JdeSimConfig`] (seed, size, address) and the runtime [`JdeKnobs`] (users and
//!   their date formats, latency, page cap, token lifetime, result-set expiry, concurrency cap,
//!   fault injection, voucher and match orchestration names and error shape, auto-processing,
//!   the intercompany constant, the report service and its jobs, the match tolerances).
//! - `table`: column definitions (data dictionary aliases) of F0101, F0401, F0116, F01151,
//!   F0006, F0901, F0010, F0008, F0013, F0015, F4301, F4311, F43121, F0411, F0411Z1, F0411Z1T,
//!   F0911Z1, F0911; compact cells;
//!   GRID_DATA encoding (`<T>_<ALIAS>` keys, yyyyMMdd dates, exact decimal numbers, business
//!   units right-justified in 12).
//! - `datagen`: the seeded generator (companies 00100/00200 USD, 00300 EUR, 00400 JPY, business
//!   units, chart of accounts, fiscal date patterns, exchange rates, suppliers, purchase
//!   orders) and the building blocks of the change methods.
//! - `query`: the data service query language (all operators and special values, match types,
//!   complexQuery, orderBy, date literals in the user's `simpleDateFormat`).
//! - `voucher`: the voucher and match orchestrations (plain Z-table inserts) and the batch
//!   voucher processor (R04110ZA equivalent: edits at processing time, failures to the Work
//!   Center; it leaves `ATFLG = 1` rows to R4304010).
//! - `vma`: Voucher Match Automation: F43121 receipts (made by `receive_lines`,
//!   [`JdeSimState::receive_line`] and the generator's received lines) and R4304010 (rules
//!   01–05 against receipts, 07–09 against PO lines; one voucher per invoice or none).
//! - `report`: batch jobs of the report service (`v2/report/execute`, `v2/report/status`).
//! - `server`: routes, authentication and sessions, paging with expiring result sets, request
//!   log, counters, fault injection; `/__sim/workcenter/{user}` and `/__sim/jobs` (not AIS).
//!
//! The handle ([`JdeSim`], which dereferences to the shared [`JdeSimState`]) changes data over
//! time (`add_pos`, `change_pos`, `receive_lines`, `receive_line`, ...), runs the voucher
//! processor and the match driver (`process_vouchers`, `process_matches`), and exposes the
//! request log and counters. For tests of PO-backed invoices: [`JdeSimState::receipts`] (the
//! F43121 rows of a PO as [`Receipt`]s), [`JdeSimState::set_supplier_rule`] (F0401 `ATRL`),
//! [`JdeSimState::work_center`] (rejection reasons), `table_rows("F0411Z1T")`.
//! The contract is `docs/jde-orchestration.md`, section "Match orchestration and Voucher Match
//! Automation".

pub mod config;
mod datagen;
mod query;
mod report;
mod server;
mod table;
mod vma;
mod voucher;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    AutoProcess, DataSelection, ErrorShape, Faults, JdeKnobs, JdeSimConfig, JobOutcome,
    MatchTolerance, ReportService, SimSize, SimUser,
};
pub use report::{JobStatus, MATCH_PROCESSOR, ReportJob, VOUCHER_PROCESSOR};
pub use server::{EndpointStats, RequestRecord, router, serve};
pub use vma::Receipt;
pub use voucher::{ProcessReport, VoucherSummary, WorkCenterMessage};

use datagen::{Stamp, currency_decimals, round_to};
use table::{Cell, Db};

/// Key of a purchase order (F4301 KCOO + DOCO + DCTO; SFXO is always `000` here).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoKey {
    /// Order company.
    pub kcoo: String,
    /// Order number.
    pub doco: i64,
    /// Order type (`OP` or `OS`).
    pub dcto: String,
}

/// Shared state of a simulator: data, sessions, open result sets, knobs, log and counters.
/// Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct JdeSimState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for JdeSimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Knobs hold passwords; SimUser's Debug redacts them.
        f.debug_struct("JdeSimState")
            .field("knobs", &*read(&self.inner.knobs))
            .finish_non_exhaustive()
    }
}

struct Inner {
    knobs: RwLock<JdeKnobs>,
    db: Mutex<Db>,
    /// Dice for the change methods.
    rng: Mutex<StdRng>,
    /// Dice for fault injection (separate so faults don't shift the data a seed produces).
    dice: Mutex<StdRng>,
    sessions: Mutex<HashMap<String, server::Session>>,
    results: Mutex<HashMap<String, server::ResultSet>>,
    log: Mutex<VecDeque<RequestRecord>>,
    stats: Mutex<BTreeMap<String, EndpointStats>>,
    inflight: AtomicUsize,
    next_id: AtomicU64,
    tools_release: String,
    /// Batch jobs launched through the report service, by job number.
    jobs: Mutex<BTreeMap<i64, report::Job>>,
}

/// Why the report service refuses to launch a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchError {
    /// The report is not one the simulator knows (only R04110ZA and R4304010).
    UnknownReport(String),
    /// The report has no such version.
    UnknownVersion(String, String),
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchError::UnknownReport(r) => {
                write!(f, "Report {r} does not exist or is not a batch application")
            }
            LaunchError::UnknownVersion(r, v) => {
                write!(f, "Version {v} of report {r} does not exist")
            }
        }
    }
}

/// Locks a mutex, recovering from poisoning: the simulator's data stays usable even if a
/// handler panicked (the connection-reset fault unwinds on purpose).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T: Clone>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

impl JdeSimState {
    /// Generates the data set for `cfg` (deterministic for a seed and a "now").
    pub fn new(cfg: &JdeSimConfig) -> Self {
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let (suppliers, pos) = cfg.size.counts();
        let mut db = Db::new();
        let now = now_in(&cfg.knobs);
        datagen::generate(
            &mut db,
            &mut rng,
            suppliers,
            pos,
            now,
            cfg.open_prior_periods,
        );
        JdeSimState {
            inner: Arc::new(Inner {
                knobs: RwLock::new(cfg.knobs.clone()),
                db: Mutex::new(db),
                rng: Mutex::new(StdRng::seed_from_u64(cfg.seed.wrapping_add(1))),
                dice: Mutex::new(StdRng::seed_from_u64(cfg.seed.wrapping_add(2))),
                sessions: Mutex::new(HashMap::new()),
                results: Mutex::new(HashMap::new()),
                log: Mutex::new(VecDeque::new()),
                stats: Mutex::new(BTreeMap::new()),
                inflight: AtomicUsize::new(0),
                next_id: AtomicU64::new(1),
                tools_release: cfg.tools_release.clone(),
                jobs: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Current knob values.
    pub fn knobs(&self) -> JdeKnobs {
        read(&self.inner.knobs).clone()
    }

    /// Changes knobs while the simulator runs.
    pub fn set_knobs(&self, f: impl FnOnce(&mut JdeKnobs)) {
        let mut k = self.inner.knobs.write().unwrap_or_else(|e| e.into_inner());
        f(&mut k);
    }

    /// The server's wall-clock "now" in its time zone.
    pub fn now(&self) -> DateTime {
        now_in(&read(&self.inner.knobs))
    }

    fn stamp_source(&self) -> impl FnMut() -> Stamp + use<> {
        let shared = read(&self.inner.knobs).shared_timestamp;
        let first = Stamp::of(self.now());
        let this = self.clone();
        move || if shared { first } else { Stamp::of(this.now()) }
    }

    /// Adds `n` new purchase orders stamped now.
    pub fn add_pos(&self, n: usize) -> Vec<PoKey> {
        let mut stamp = self.stamp_source();
        let today = self.now().date();
        let mut db = lock(&self.inner.db);
        let mut rng = lock(&self.inner.rng);
        let sups = datagen::suppliers(&db);
        (0..n)
            .map(|_| {
                let (kcoo, doco, dcto) = datagen::add_po(&mut db, &mut rng, &sups, stamp(), today);
                PoKey { kcoo, doco, dcto }
            })
            .collect()
    }

    /// Changes `n` purchase orders: mostly a price or quantity change on one line (line and
    /// header get new UPMJ/TDAY, OTOT is recomputed), sometimes only the header (hold code or
    /// requested date).
    pub fn change_pos(&self, n: usize) -> Vec<PoKey> {
        let mut stamp = self.stamp_source();
        let mut db = lock(&self.inner.db);
        let mut rng = lock(&self.inner.rng);
        let heads = db.t("F4301").rows.len();
        if heads == 0 {
            return Vec::new();
        }
        let lines_by_po = lines_index(&db);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let hi = rng.random_range(0..heads);
            let key = po_key(&db, hi);
            let s = stamp();
            let open_lines: Vec<usize> = lines_by_po
                .get(&key)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|&li| !line_cancelled(&db, li))
                        .collect()
                })
                .unwrap_or_default();
            if open_lines.is_empty() || rng.random_bool(0.3) {
                let h = db.tm("F4301");
                let (hold, drqj) = (h.def.c("HOLD"), h.def.c("DRQJ"));
                let row = &mut h.rows[hi];
                if rng.random_bool(0.5) {
                    let new = if row[hold].as_str().is_empty() {
                        "B1"
                    } else {
                        ""
                    };
                    row[hold] = Cell::s(new);
                } else {
                    let d = datagen::date_of(row[drqj].as_int()).unwrap_or(self.now().date());
                    row[drqj] = Cell::Int(datagen::ymd(d.tomorrow().unwrap_or(d)));
                }
            } else {
                let li = open_lines[rng.random_range(0..open_lines.len())];
                let l = db.tm("F4311");
                let (uorg, prrc, aexp, crcd) = (
                    l.def.c("UORG"),
                    l.def.c("PRRC"),
                    l.def.c("AEXP"),
                    l.def.c("CRCD"),
                );
                let (frrc, fea) = (l.def.c("FRRC"), l.def.c("FEA"));
                let row = &mut l.rows[li];
                let dec = currency_decimals(row[crcd].as_str());
                if rng.random_bool(0.5) {
                    let factor = Decimal::new(rng.random_range(9_500..11_000), 4);
                    let mut p = (row[prrc].as_dec() * factor).round_dp(4);
                    p.rescale(4);
                    row[prrc] = Cell::d(p);
                    // A foreign line's foreign price moves with it.
                    if !row[frrc].as_dec().is_zero() {
                        let mut f = (row[frrc].as_dec() * factor).round_dp(4);
                        f.rescale(4);
                        row[frrc] = Cell::d(f);
                    }
                } else {
                    let q = row[uorg].as_dec() + Decimal::from(rng.random_range(1..10));
                    row[uorg] = Cell::d(q);
                }
                row[aexp] = Cell::d(round_to(row[uorg].as_dec() * row[prrc].as_dec(), dec));
                if !row[frrc].as_dec().is_zero() {
                    row[fea] = Cell::d(round_to(row[uorg].as_dec() * row[frrc].as_dec(), dec));
                }
                stamp_row(db.tm("F4311"), li, "TDAY", s);
                recompute_otot(&mut db, hi, &lines_by_po);
            }
            stamp_row(db.tm("F4301"), hi, "TDAY", s);
            out.push(key);
        }
        out
    }

    /// Receives `n` open lines in full (what is left to receive): each gets an F43121 receipt
    /// (`MATC = 1`, open until vouchered) and its F4311 UREC/AREC/UOPN/AOPN and UPMJ/TDAY change
    /// (nothing the connector sends to JAGGAER).
    pub fn receive_lines(&self, n: usize) -> Vec<PoKey> {
        let s = Stamp::of(self.now());
        self.touch_db_lines(n, |db, li| {
            let rest = {
                let l = db.t("F4311");
                let r = &l.rows[li];
                r[l.def.c("UORG")].as_dec() - r[l.def.c("UREC")].as_dec()
            };
            vma::receive(db, li, rest, s.date, s);
            false
        })
    }

    /// Receives `qty` of one PO line (a partial or a further receipt; capped to what is left to
    /// receive) as its next F43121 receipt, dated today. Returns the receipt, or `None` for an
    /// unknown line or nothing left to receive.
    pub fn receive_line(&self, po: &PoKey, lnid: Decimal, qty: Decimal) -> Option<Receipt> {
        let s = Stamp::of(self.now());
        let mut db = lock(&self.inner.db);
        let li = vma::find_line(&db, &po.kcoo, &po.dcto, po.doco, lnid)?;
        let ri = vma::receive(&mut db, li, qty, s.date, s)?;
        stamp_row(db.tm("F4311"), li, "TDAY", s);
        Some(vma::receipt_of(&db, ri))
    }

    /// Every F43121 row of a purchase order (receipts `MATC = 1` and voucher matches
    /// `MATC = 2`), in the order written.
    pub fn receipts(&self, po: &PoKey) -> Vec<Receipt> {
        vma::receipts_of(&lock(&self.inner.db), &po.kcoo, po.doco, &po.dcto)
    }

    /// Sets a supplier's default automation rule (F0401 ATRL; blank removes it). Returns false
    /// for an unknown supplier.
    pub fn set_supplier_rule(&self, an8: i64, rule: &str) -> bool {
        let s = Stamp::of(self.now());
        let mut db = lock(&self.inner.db);
        let t = db.tm("F0401");
        let (a, r) = (t.def.c("AN8"), t.def.c("ATRL"));
        let Some(i) = t.rows.iter().position(|row| row[a].as_int() == an8) else {
            return false;
        };
        t.rows[i][r] = Cell::s(rule);
        stamp_row(t, i, "UPMT", s);
        true
    }

    /// Cancels `n` open lines (LTTR 980, NXTR 999); the header total is recomputed.
    pub fn cancel_po_lines(&self, n: usize) -> Vec<PoKey> {
        self.touch_lines(n, |l, li| {
            let (lttr, nxtr) = (l.def.c("LTTR"), l.def.c("NXTR"));
            l.rows[li][lttr] = Cell::s("980");
            l.rows[li][nxtr] = Cell::s("999");
            true
        })
    }

    fn touch_lines(
        &self,
        n: usize,
        mut f: impl FnMut(&mut table::Table, usize) -> bool,
    ) -> Vec<PoKey> {
        self.touch_db_lines(n, |db, li| f(db.tm("F4311"), li))
    }

    fn touch_db_lines(&self, n: usize, mut f: impl FnMut(&mut Db, usize) -> bool) -> Vec<PoKey> {
        let mut stamp = self.stamp_source();
        let mut db = lock(&self.inner.db);
        let mut rng = lock(&self.inner.rng);
        let l = db.t("F4311");
        let nxtr = l.def.c("NXTR");
        let open: Vec<usize> = (0..l.rows.len())
            .filter(|&i| l.rows[i][nxtr].as_str() != "999")
            .collect();
        if open.is_empty() {
            return Vec::new();
        }
        let lines_by_po = lines_index(&db);
        let heads = heads_index(&db);
        let mut picked: Vec<usize> = Vec::new();
        let mut out = Vec::new();
        for _ in 0..n.min(open.len()) {
            let mut li = open[rng.random_range(0..open.len())];
            // Redraw a few times to avoid touching the same line twice in one call.
            for _ in 0..4 {
                if !picked.contains(&li) {
                    break;
                }
                li = open[rng.random_range(0..open.len())];
            }
            if picked.contains(&li) {
                continue;
            }
            picked.push(li);
            let s = stamp();
            let header_changes = f(&mut db, li);
            stamp_row(db.tm("F4311"), li, "TDAY", s);
            let key = line_key(&db, li);
            if header_changes && let Some(&hi) = heads.get(&key) {
                recompute_otot(&mut db, hi, &lines_by_po);
                stamp_row(db.tm("F4301"), hi, "TDAY", s);
            }
            out.push(key);
        }
        out
    }

    /// Adds `n` suppliers (F0101, F0401, F0116, F01151) stamped now; returns their numbers.
    pub fn add_suppliers(&self, n: usize) -> Vec<i64> {
        let mut stamp = self.stamp_source();
        let today = self.now().date();
        let mut db = lock(&self.inner.db);
        let mut rng = lock(&self.inner.rng);
        (0..n)
            .map(|_| datagen::add_supplier(&mut db, &mut rng, stamp(), today))
            .collect()
    }

    /// Edits the rows of `table` whose column `key` holds `value` (compared as trimmed text),
    /// as a user in a JDE application would: sets each `(alias, text)` of `set` (numbers and
    /// `yyyyMMdd` dates as text; blank text is blank or zero) and stamps the row now (UPMJ with
    /// UPMT or TDAY where the table has them). Returns the number of rows edited; an unknown
    /// table or column edits none.
    pub fn edit_rows(&self, table: &str, key: &str, value: &str, set: &[(&str, &str)]) -> usize {
        let s = Stamp::of(self.now());
        let mut db = lock(&self.inner.db);
        let Some(t) = db.tables.get_mut(table) else {
            return 0;
        };
        let find = |a: &str| t.def.col(a);
        let Some(k) = find(key) else { return 0 };
        let mut cols = Vec::with_capacity(set.len());
        for (alias, text) in set {
            let Some(i) = find(alias) else { return 0 };
            let text = text.trim();
            let cell = match t.def.cols[i].1 {
                table::Kind::Int | table::Kind::Date => Cell::Int(text.parse().unwrap_or(0)),
                table::Kind::Num | table::Kind::Line => {
                    Cell::d(text.parse().unwrap_or(Decimal::ZERO))
                }
                table::Kind::Str(_) | table::Kind::Bu => Cell::s(text),
            };
            cols.push((i, cell));
        }
        let time = ["UPMT", "TDAY"].into_iter().find(|a| find(a).is_some());
        let has_upmj = find("UPMJ").is_some();
        let rows: Vec<usize> = (0..t.rows.len())
            .filter(|&i| cell_text(&t.rows[i][k]) == value.trim())
            .collect();
        for &i in &rows {
            for (c, cell) in &cols {
                t.rows[i][*c] = cell.clone();
            }
            match time {
                Some(tm) if has_upmj => stamp_row(t, i, tm, s),
                None if has_upmj => {
                    let d = t.def.c("UPMJ");
                    t.rows[i][d] = Cell::Int(s.date);
                }
                _ => {}
            }
        }
        rows.len()
    }

    /// Puts a supplier on payment hold (F0401 HDPY `Y`). Returns false for an unknown supplier.
    pub fn hold_supplier(&self, an8: i64) -> bool {
        let s = Stamp::of(self.now());
        let mut db = lock(&self.inner.db);
        let t = db.tm("F0401");
        let (a, h) = (t.def.c("AN8"), t.def.c("HDPY"));
        let Some(i) = t.rows.iter().position(|r| r[a].as_int() == an8) else {
            return false;
        };
        t.rows[i][h] = Cell::s("Y");
        stamp_row(t, i, "UPMT", s);
        true
    }

    /// Sets a company's fiscal year start and current period, for the G/L (F0010 DFYJ/PNC) and
    /// for A/P (APFJ/APPN, what the processor's closed-period rule reads): G/L dates before
    /// period `pnc` of that year are in a closed period. A monthly year of the company's date
    /// pattern is added to F0008 when none starts on `dfyj`. Returns false for an unknown
    /// company.
    pub fn set_fiscal_period(&self, co: &str, dfyj: Date, pnc: i64) -> bool {
        let s = Stamp::of(self.now());
        let mut db = lock(&self.inner.db);
        let t = db.tm("F0010");
        let (c, d, p, ad, ap, tp) = (
            t.def.c("CO"),
            t.def.c("DFYJ"),
            t.def.c("PNC"),
            t.def.c("APFJ"),
            t.def.c("APPN"),
            t.def.c("DTPN"),
        );
        let Some(row) = t.rows.iter_mut().find(|r| r[c].as_str() == co) else {
            return false;
        };
        row[d] = Cell::Int(datagen::ymd(dfyj));
        row[p] = Cell::Int(pnc);
        row[ad] = Cell::Int(datagen::ymd(dfyj));
        row[ap] = Cell::Int(pnc);
        let dtpn = match row[tp].as_str() {
            "" => "R".to_owned(),
            x => x.to_owned(),
        };
        let f8 = db.t("F0008");
        let (fp, fd) = (f8.def.c("DTPN"), f8.def.c("DFYJ"));
        let known = f8
            .rows
            .iter()
            .any(|r| r[fp].as_str() == dtpn && r[fd].as_int() == datagen::ymd(dfyj));
        if !known {
            datagen::put_date_pattern(&mut db, &dtpn, dfyj, &datagen::monthly_ends(dfyj), s);
        }
        true
    }

    /// Writes one year of an F0008 date pattern: the fiscal year's first day and the end date
    /// of each period (1 to 14 periods, ascending; the unused ones repeat the last end, as in
    /// JDE). Replaces the pattern's year that starts on the same day. Returns false for
    /// invalid ends.
    pub fn set_date_pattern(&self, dtpn: &str, begin: Date, period_ends: &[Date]) -> bool {
        let s = Stamp::of(self.now());
        datagen::put_date_pattern(&mut lock(&self.inner.db), dtpn, begin, period_ends, s)
    }

    /// Points a company at a date pattern (F0010 DTPN) and sets its A/P fiscal year and current
    /// period (APFJ/APPN; the G/L DFYJ/PNC follow). Returns false for an unknown company or
    /// when the pattern has no year starting on `begin`.
    pub fn set_company_calendar(&self, co: &str, dtpn: &str, begin: Date, ap_period: i64) -> bool {
        let mut db = lock(&self.inner.db);
        let f8 = db.t("F0008");
        let (fp, fd) = (f8.def.c("DTPN"), f8.def.c("DFYJ"));
        if !f8
            .rows
            .iter()
            .any(|r| r[fp].as_str() == dtpn && r[fd].as_int() == datagen::ymd(begin))
        {
            return false;
        }
        let t = db.tm("F0010");
        let cols: Vec<usize> = ["CO", "DTPN", "DFYJ", "PNC", "APFJ", "APPN"]
            .iter()
            .map(|a| t.def.c(a))
            .collect();
        let Some(row) = t.rows.iter_mut().find(|r| r[cols[0]].as_str() == co) else {
            return false;
        };
        row[cols[1]] = Cell::s(dtpn);
        row[cols[2]] = Cell::Int(datagen::ymd(begin));
        row[cols[3]] = Cell::Int(ap_period);
        row[cols[4]] = Cell::Int(datagen::ymd(begin));
        row[cols[5]] = Cell::Int(ap_period);
        true
    }

    /// Adds an F0015 exchange rate (multiplier `crr`, from → to, effective `eft`).
    pub fn set_exchange_rate(&self, from: &str, to: &str, eft: Date, crr: Decimal) {
        let s = Stamp::of(self.now());
        let crrd = if crr.is_zero() {
            Decimal::ZERO
        } else {
            (Decimal::ONE / crr).round_dp(7)
        };
        lock(&self.inner.db).tm("F0015").insert(vec![
            ("CRCD", Cell::s(from)),
            ("CRDC", Cell::s(to)),
            ("AN8", Cell::Int(0)),
            ("RTTYP", Cell::s("")),
            ("EFT", Cell::Int(datagen::ymd(eft))),
            ("CRR", Cell::d(crr)),
            ("CRRD", Cell::d(crrd)),
            ("UPMJ", Cell::Int(s.date)),
        ]);
    }

    /// Removes every F0015 rate from one currency to another. Returns the rows removed.
    pub fn clear_exchange_rates(&self, from: &str, to: &str) -> usize {
        let mut db = lock(&self.inner.db);
        let t = db.tm("F0015");
        let (f, d) = (t.def.c("CRCD"), t.def.c("CRDC"));
        let before = t.rows.len();
        t.rows
            .retain(|r| !(r[f].as_str() == from && r[d].as_str() == to));
        before - t.rows.len()
    }

    /// The rate the processor would use from one currency to another on a date (F0015).
    pub fn exchange_rate(&self, from: &str, to: &str, on: Date) -> Option<Decimal> {
        voucher::exchange_rate(&lock(&self.inner.db), from, to, datagen::ymd(on))
    }

    /// First day of the A/P current period of a company (its F0008 pattern and F0010
    /// APFJ/APPN): G/L dates before it are in a closed period.
    pub fn first_open_day(&self, co: &str) -> Option<Date> {
        voucher::first_open_day(&lock(&self.inner.db), co)
    }

    /// Runs the batch voucher processor (R04110ZA) over every unprocessed F0411Z1 row, like a
    /// run on JDE's own schedule (its Work Center messages carry no job number).
    pub fn process_vouchers(&self) -> ProcessReport {
        self.process_vouchers_for(&DataSelection::all())
    }

    /// Runs the batch voucher processor over the unprocessed rows a data selection covers.
    pub fn process_vouchers_for(&self, selection: &DataSelection) -> ProcessReport {
        self.run_processor(selection, None)
    }

    fn run_processor(&self, selection: &DataSelection, job: Option<i64>) -> ProcessReport {
        let s = Stamp::of(self.now());
        let setup = voucher::Setup {
            intercompany_settlements: read(&self.inner.knobs).intercompany_settlements,
        };
        voucher::process(&mut lock(&self.inner.db), selection, job, setup, s)
    }

    /// Runs the Voucher Match Automation driver (R4304010, final mode) over every unprocessed
    /// F0411Z1 row flagged `ATFLG = 1`, like a run on JDE's own schedule (its Work Center
    /// messages carry no job number).
    pub fn process_matches(&self) -> ProcessReport {
        self.process_matches_for(&DataSelection::all())
    }

    /// Runs R4304010 over the unprocessed match rows a data selection covers.
    pub fn process_matches_for(&self, selection: &DataSelection) -> ProcessReport {
        self.run_match_processor(selection, None)
    }

    fn run_match_processor(&self, selection: &DataSelection, job: Option<i64>) -> ProcessReport {
        let s = Stamp::of(self.now());
        let k = read(&self.inner.knobs);
        let ms = vma::MatchSetup {
            setup: voucher::Setup {
                intercompany_settlements: k.intercompany_settlements,
            },
            tolerance: k.match_tolerance,
            rounding: k.rounding_tolerance,
        };
        drop(k);
        vma::process_matches(&mut lock(&self.inner.db), selection, job, &ms, s)
    }

    /// The Work Center (employee queue) of an E1 user: the messages processor runs sent for
    /// the transactions of that `EDUS` they could not process, oldest first.
    pub fn work_center(&self, user: &str) -> Vec<WorkCenterMessage> {
        lock(&self.inner.db)
            .work_center
            .get(user)
            .cloned()
            .unwrap_or_default()
    }

    /// Deletes processed Z rows (`EDSP = 1`) of one `EDUS`, or of everyone, like the Z-file
    /// purge (R0411Z1P). F0411/F0911 keep the vouchers. Returns the rows removed.
    pub fn purge_processed(&self, edus: Option<&str>) -> usize {
        voucher::purge_processed(&mut lock(&self.inner.db), edus)
    }

    /// Launches a batch job as `v2/report/execute` does (knobs `report_runtime`,
    /// `report_outcome`, `report_versions` apply). Returns its job number.
    pub fn launch_report(
        &self,
        report: &str,
        version: &str,
        user: &str,
    ) -> Result<i64, LaunchError> {
        let k = self.knobs();
        let Some(report) = [VOUCHER_PROCESSOR, MATCH_PROCESSOR]
            .into_iter()
            .find(|r| report.eq_ignore_ascii_case(r))
        else {
            return Err(LaunchError::UnknownReport(report.to_owned()));
        };
        let selection = match k.report_versions.get(version) {
            Some(sel) => sel.clone(),
            None if report::DELIVERED_VERSIONS.contains(&version) => DataSelection::all(),
            None => {
                return Err(LaunchError::UnknownVersion(
                    report.to_owned(),
                    version.to_owned(),
                ));
            }
        };
        let now = self.now();
        let number = {
            let mut db = lock(&self.inner.db);
            db.next_job += 1;
            db.next_job
        };
        lock(&self.inner.jobs).insert(
            number,
            report::Job {
                number,
                report: report.to_owned(),
                version: version.to_owned(),
                user: user.to_owned(),
                started: std::time::Instant::now(),
                runtime: k.report_runtime,
                outcome: k.report_outcome,
                selection,
                status: JobStatus::Waiting,
                submitted_at: now,
                last_at: now,
                result: None,
            },
        );
        self.advance_jobs();
        Ok(number)
    }

    /// Moves every running job to the status its run time gives it; a job reaching `D` runs
    /// the processor over its data selection (with its job number) at that moment. Called by
    /// the server's ticker, by `report/status` and by the inspection methods.
    pub fn advance_jobs(&self) {
        let mut jobs = lock(&self.inner.jobs);
        for job in jobs.values_mut() {
            let due = job.due_status();
            if due == job.status {
                continue;
            }
            if due == JobStatus::Done {
                job.result = Some(if job.report == MATCH_PROCESSOR {
                    self.run_match_processor(&job.selection, Some(job.number))
                } else {
                    self.run_processor(&job.selection, Some(job.number))
                });
            }
            job.status = due;
            job.last_at = self.now();
        }
    }

    /// Every job launched through the report service, oldest first.
    pub fn report_jobs(&self) -> Vec<ReportJob> {
        self.advance_jobs();
        lock(&self.inner.jobs)
            .values()
            .map(report::Job::public)
            .collect()
    }

    pub(crate) fn job(&self, number: i64) -> Option<report::Job> {
        self.advance_jobs();
        lock(&self.inner.jobs).get(&number).cloned()
    }

    /// Every voucher transaction in F0411Z1 with its processing state.
    pub fn vouchers(&self) -> Vec<VoucherSummary> {
        voucher::summaries(&lock(&self.inner.db))
    }

    /// Deletes the unprocessed Z rows of a batch (AP deleting a batch). Returns rows removed.
    pub fn delete_voucher_batch(&self, edus: &str, edbt: &str) -> usize {
        voucher::delete_batch(&mut lock(&self.inner.db), edus, edbt)
    }

    /// Edits the amount of a posted F0911 line by hand. Returns false if no such line.
    pub fn edit_f0911_amount(
        &self,
        kco: &str,
        doc: i64,
        dct: &str,
        jeln: Decimal,
        aa: Decimal,
    ) -> bool {
        let s = Stamp::of(self.now());
        voucher::edit_f0911_amount(&mut lock(&self.inner.db), kco, doc, dct, jeln, aa, s)
    }

    /// All rows of a table in wire form (`<T>_<ALIAS>` keys, every column), for tests.
    /// Unknown tables give an empty list.
    pub fn table_rows(&self, table: &str) -> Vec<Value> {
        let pad = read(&self.inner.knobs).pad_trailing;
        let db = lock(&self.inner.db);
        let Some(t) = db.tables.get(table) else {
            return Vec::new();
        };
        let proj: Vec<usize> = (0..t.def.cols.len()).collect();
        t.rows.iter().map(|r| t.encode(r, &proj, pad)).collect()
    }

    /// Number of rows in a table (0 for an unknown table).
    pub fn row_count(&self, table: &str) -> usize {
        lock(&self.inner.db)
            .tables
            .get(table)
            .map_or(0, |t| t.rows.len())
    }

    /// Invalidates every token now (a "444 storm": AIS restarted or sessions were purged).
    pub fn invalidate_all_tokens(&self) {
        lock(&self.inner.sessions).clear();
    }

    /// Number of live sessions.
    pub fn session_count(&self) -> usize {
        lock(&self.inner.sessions).len()
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.inner.log).iter().cloned().collect()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
    }

    /// Counters per endpoint (path below `/jderest/`, e.g. `v2/dataservice`).
    pub fn stats(&self) -> BTreeMap<String, EndpointStats> {
        lock(&self.inner.stats).clone()
    }
}

fn now_in(knobs: &JdeKnobs) -> DateTime {
    if let Some(f) = knobs.frozen_now {
        return f;
    }
    // Without a time zone database the server clock falls back to UTC rather than failing.
    let tz = TimeZone::get(&knobs.timezone).unwrap_or(TimeZone::UTC);
    jiff::Timestamp::now().to_zoned(tz).datetime()
}

/// A cell as trimmed text (numbers in their plain form), for [`JdeSim::edit_rows`] keys.
fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Int(i) => i.to_string(),
        Cell::Str(s) => s.trim().to_owned(),
        Cell::Dec(..) => c.as_dec().normalize().to_string(),
    }
}

fn stamp_row(t: &mut table::Table, i: usize, time_alias: &str, s: Stamp) {
    let (d, tm) = (t.def.c("UPMJ"), t.def.c(time_alias));
    t.rows[i][d] = Cell::Int(s.date);
    t.rows[i][tm] = Cell::Int(s.time);
}

fn po_key(db: &Db, hi: usize) -> PoKey {
    let h = db.t("F4301");
    let r = &h.rows[hi];
    PoKey {
        kcoo: r[h.def.c("KCOO")].as_str().into(),
        doco: r[h.def.c("DOCO")].as_int(),
        dcto: r[h.def.c("DCTO")].as_str().into(),
    }
}

fn line_key(db: &Db, li: usize) -> PoKey {
    let l = db.t("F4311");
    let r = &l.rows[li];
    PoKey {
        kcoo: r[l.def.c("KCOO")].as_str().into(),
        doco: r[l.def.c("DOCO")].as_int(),
        dcto: r[l.def.c("DCTO")].as_str().into(),
    }
}

fn line_cancelled(db: &Db, li: usize) -> bool {
    let l = db.t("F4311");
    l.rows[li][l.def.c("LTTR")].as_str() == "980"
}

fn lines_index(db: &Db) -> HashMap<PoKey, Vec<usize>> {
    let mut m: HashMap<PoKey, Vec<usize>> = HashMap::new();
    for li in 0..db.t("F4311").rows.len() {
        m.entry(line_key(db, li)).or_default().push(li);
    }
    m
}

fn heads_index(db: &Db) -> HashMap<PoKey, usize> {
    (0..db.t("F4301").rows.len())
        .map(|hi| (po_key(db, hi), hi))
        .collect()
}

fn recompute_otot(db: &mut Db, hi: usize, lines_by_po: &HashMap<PoKey, Vec<usize>>) {
    let key = po_key(db, hi);
    let l = db.t("F4311");
    let (aexp, lttr) = (l.def.c("AEXP"), l.def.c("LTTR"));
    let total: Decimal = lines_by_po
        .get(&key)
        .into_iter()
        .flatten()
        .filter(|&&li| l.rows[li][lttr].as_str() != "980")
        .map(|&li| l.rows[li][aexp].as_dec())
        .sum();
    let h = db.tm("F4301");
    let (otot, crcd) = (h.def.c("OTOT"), h.def.c("CRCD"));
    let dec = currency_decimals(h.rows[hi][crcd].as_str());
    h.rows[hi][otot] = Cell::d(round_to(total, dec));
}

/// A running simulator: the server task plus the shared state (the handle dereferences to
/// [`JdeSimState`] for the change and inspection methods).
#[derive(Debug)]
pub struct JdeSim {
    state: JdeSimState,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    ticker: Option<JoinHandle<()>>,
}

impl Deref for JdeSim {
    type Target = JdeSimState;
    fn deref(&self) -> &JdeSimState {
        &self.state
    }
}

impl JdeSim {
    /// Generates the data and starts serving on `cfg.addr` (or 127.0.0.1 on a free port).
    pub async fn start(cfg: JdeSimConfig) -> std::io::Result<JdeSim> {
        let addr = cfg
            .addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        // Generation of a large data set takes a moment of CPU; keep it off the async workers.
        let state = tokio::task::spawn_blocking(move || JdeSimState::new(&cfg))
            .await
            .map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let st = state.clone();
        let task = tokio::spawn(async move {
            let _ = serve(listener, st, async {
                let _ = rx.await;
            })
            .await;
        });
        let st = state.clone();
        // The ticker moves launched report jobs along (W → P → D/E, running the processor when
        // one ends done) and runs the interval processor (AutoProcess::Every), re-reading the
        // knob every round so it can be switched on and off while running.
        let ticker = tokio::spawn(async move {
            let mut last = tokio::time::Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                st.advance_jobs();
                match st.knobs().auto_process {
                    AutoProcess::Every(d) => {
                        if last.elapsed() >= d.max(Duration::from_millis(10)) {
                            st.process_vouchers();
                            st.process_matches();
                            last = tokio::time::Instant::now();
                        }
                    }
                    _ => last = tokio::time::Instant::now(),
                }
            }
        });
        Ok(JdeSim {
            state,
            addr,
            stop: Some(tx),
            task: Some(task),
            ticker: Some(ticker),
        })
    }

    /// Base URL of the AIS REST services, e.g. `http://127.0.0.1:PORT/jderest/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/jderest/", self.addr)
    }

    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (also reachable through `Deref`).
    pub fn state(&self) -> &JdeSimState {
        &self.state
    }

    /// Stops the server (open connections get up to a second to finish).
    pub async fn shutdown(mut self) {
        self.stop_now().await;
    }

    async fn stop_now(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(1), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for JdeSim {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
