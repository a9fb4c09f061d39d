//! Request counts as the simulators saw them, per system and per endpoint, and the lower bound
//! of a stage as `/work/shared/spec/benchmark.md` defines it.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

/// One request as either simulator logged it, reduced to what the benchmark reports.
#[derive(Debug, Clone)]
pub struct Req {
    /// Endpoint label, e.g. `v2/dataservice F4311` or `GET /j1p/api/public/ji/v1/invoices/{id}`.
    pub endpoint: String,
    /// HTTP status (0: connection dropped by a fault knob).
    pub status: u16,
    /// Rows returned (AIS data service).
    pub rows: Option<u64>,
    /// Table read, for AIS data service calls.
    pub table: Option<String>,
    /// A request that changes the remote (AIS orchestration, J1P POST other than the token).
    pub write: bool,
    /// Arrival.
    pub at: Timestamp,
    /// Time the simulator spent on it.
    pub duration: Duration,
}

/// Per endpoint counters.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EndpointCount {
    /// Requests.
    pub requests: u64,
    /// Answered ≥ 400 or dropped.
    pub errors: u64,
    /// Rows returned (AIS reads).
    #[serde(skip_serializing_if = "is_zero")]
    pub rows: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What one system saw during one stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemStats {
    /// All requests.
    pub requests: u64,
    /// Requests that change the remote.
    pub writes: u64,
    /// 429 answers (J1P rate limit).
    pub status_429: u64,
    /// 503 answers (AIS concurrency ceiling).
    pub status_503: u64,
    /// Other answers ≥ 400 (or dropped connections).
    pub other_errors: u64,
    /// Per endpoint.
    pub endpoints: BTreeMap<String, EndpointCount>,
    /// Rows returned per AIS table (data service reads).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rows_by_table: BTreeMap<String, u64>,
    /// First request's arrival.
    #[serde(skip)]
    pub first_at: Option<Timestamp>,
    /// Last request's end.
    #[serde(skip)]
    pub last_end: Option<Timestamp>,
}

impl SystemStats {
    /// Aggregates a request log.
    pub fn from_log(reqs: &[Req]) -> SystemStats {
        let mut s = SystemStats::default();
        for r in reqs {
            s.requests += 1;
            if r.write {
                s.writes += 1;
            }
            match r.status {
                429 => s.status_429 += 1,
                503 => s.status_503 += 1,
                0 | 400.. => s.other_errors += 1,
                _ => {}
            }
            let e = s.endpoints.entry(r.endpoint.clone()).or_default();
            e.requests += 1;
            if r.status == 0 || r.status >= 400 {
                e.errors += 1;
            }
            e.rows += r.rows.unwrap_or(0);
            if let (Some(t), Some(n)) = (&r.table, r.rows) {
                *s.rows_by_table.entry(t.clone()).or_default() += n;
            }
            s.first_at = Some(s.first_at.map_or(r.at, |f| f.min(r.at)));
            let end =
                r.at.checked_add(jiff::SignedDuration::try_from(r.duration).unwrap_or_default())
                    .unwrap_or(r.at);
            s.last_end = Some(s.last_end.map_or(end, |l| l.max(end)));
        }
        s
    }
}

/// The minimum requests a stage needs and the time they take at best.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LowerBound {
    /// Minimum AIS requests: 1 token + Σ⌈rows ÷ page cap⌉ per table read + one voucher call per
    /// invoice posted.
    pub ais_min_requests: u64,
    /// Minimum J1P requests: 1 token + one write per supplier/PO created or updated + one
    /// batched write per value list that changed + invoice list pages + one detail read per
    /// invoice read.
    pub j1p_min_requests: u64,
    /// AIS requests × latency ÷ allowed concurrency.
    pub ais_secs: f64,
    /// J1P requests ÷ rate limit (or × latency ÷ concurrency without a limit).
    pub j1p_secs: f64,
    /// The larger of the two.
    pub bound_secs: f64,
}

/// What the lower bound is computed from.
#[derive(Debug, Clone)]
pub struct BoundInputs {
    /// Rows needed per AIS table (at most the table's size).
    pub ais_rows: BTreeMap<String, u64>,
    /// AIS page cap.
    pub page_cap: u64,
    /// Vouchers posted (orchestration calls needed).
    pub vouchers: u64,
    /// Records written to J1P one by one (suppliers, POs).
    pub j1p_record_writes: u64,
    /// Value lists that changed (one batched POST each).
    pub j1p_batch_writes: u64,
    /// Invoices read from J1P.
    pub invoices_read: u64,
    /// J1P list page size.
    pub j1p_page_size: u64,
    /// Whether the stage lists invoices at all.
    pub lists_invoices: bool,
    /// Simulated latency per request, both systems.
    pub latency: Duration,
    /// AIS requests allowed in flight.
    pub ais_concurrency: u64,
    /// J1P rate limit (requests/s), if any.
    pub j1p_rate_limit: Option<u64>,
    /// J1P concurrency used when there is no rate limit.
    pub j1p_concurrency: u64,
}

impl LowerBound {
    /// The bound of benchmark.md.
    pub fn compute(i: &BoundInputs) -> LowerBound {
        let cap = i.page_cap.max(1);
        let reads: u64 = i.ais_rows.values().map(|&r| r.div_ceil(cap).max(1)).sum();
        let ais = 1 + reads + i.vouchers;
        let list_pages = if i.lists_invoices {
            i.invoices_read.div_ceil(i.j1p_page_size.max(1)).max(1)
        } else {
            0
        };
        let j1p = 1 + i.j1p_record_writes + i.j1p_batch_writes + list_pages + i.invoices_read;
        let lat = i.latency.as_secs_f64();
        let ais_secs = ais as f64 * lat / i.ais_concurrency.max(1) as f64;
        let j1p_secs = match i.j1p_rate_limit {
            Some(r) => j1p as f64 / r.max(1) as f64,
            None => j1p as f64 * lat / i.j1p_concurrency.max(1) as f64,
        };
        LowerBound {
            ais_min_requests: ais,
            j1p_min_requests: j1p,
            ais_secs,
            j1p_secs,
            bound_secs: ais_secs.max(j1p_secs),
        }
    }
}

/// Median of a list (mean of the two middle values for an even count); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> BoundInputs {
        BoundInputs {
            ais_rows: BTreeMap::from([("F4301".into(), 10_000), ("F4311".into(), 100_500)]),
            page_cap: 1000,
            vouchers: 0,
            j1p_record_writes: 12_000,
            j1p_batch_writes: 2,
            invoices_read: 0,
            j1p_page_size: 100,
            lists_invoices: false,
            latency: Duration::from_millis(10),
            ais_concurrency: 4,
            j1p_rate_limit: Some(200),
            j1p_concurrency: 8,
        }
    }

    #[test]
    fn backfill_bound_is_the_j1p_rate_limit() {
        let b = LowerBound::compute(&inputs());
        // 1 token + 10 + 101 pages.
        assert_eq!(b.ais_min_requests, 112);
        assert!((b.ais_secs - 0.28).abs() < 1e-9);
        // 1 token + 12,000 records + 2 value lists.
        assert_eq!(b.j1p_min_requests, 12_003);
        assert!((b.j1p_secs - 60.015).abs() < 1e-9);
        assert_eq!(b.bound_secs, b.j1p_secs);
    }

    #[test]
    fn invoice_stage_counts_list_pages_details_and_vouchers() {
        let mut i = inputs();
        i.ais_rows = BTreeMap::from([("F0411".into(), 0)]);
        i.vouchers = 5000;
        i.j1p_record_writes = 0;
        i.j1p_batch_writes = 0;
        i.invoices_read = 5000;
        i.lists_invoices = true;
        let b = LowerBound::compute(&i);
        // 1 token + 1 read (an empty table still takes one request) + 5,000 vouchers.
        assert_eq!(b.ais_min_requests, 5002);
        assert_eq!(b.j1p_min_requests, 1 + 50 + 5000);
        assert!((b.ais_secs - 12.505).abs() < 1e-9);
        assert!((b.j1p_secs - 25.255).abs() < 1e-9);
    }

    #[test]
    fn without_a_rate_limit_latency_and_concurrency_bound_j1p() {
        let mut i = inputs();
        i.j1p_rate_limit = None;
        i.latency = Duration::ZERO;
        assert_eq!(LowerBound::compute(&i).bound_secs, 0.0);
        i.latency = Duration::from_millis(8);
        let b = LowerBound::compute(&i);
        assert!((b.j1p_secs - 12_003.0 * 0.008 / 8.0).abs() < 1e-9);
    }

    #[test]
    fn aggregates_a_log() {
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let r = |ep: &str, status, rows, table: Option<&str>, write, ms| Req {
            endpoint: ep.into(),
            status,
            rows,
            table: table.map(Into::into),
            write,
            at: t0 + jiff::SignedDuration::from_millis(ms),
            duration: Duration::from_millis(10),
        };
        let s = SystemStats::from_log(&[
            r("v2/tokenrequest", 200, None, None, false, 0),
            r(
                "v2/dataservice F4311",
                200,
                Some(1000),
                Some("F4311"),
                false,
                5,
            ),
            r(
                "v2/dataservice/next F4311",
                200,
                Some(200),
                Some("F4311"),
                false,
                20,
            ),
            r("v2/dataservice F4311", 503, None, Some("F4311"), false, 21),
            r(
                "v3/orchestrator ML_AddVoucherBatch",
                200,
                None,
                None,
                true,
                30,
            ),
        ]);
        assert_eq!(s.requests, 5);
        assert_eq!(s.writes, 1);
        assert_eq!(s.status_503, 1);
        assert_eq!(s.rows_by_table["F4311"], 1200);
        assert_eq!(s.endpoints["v2/dataservice F4311"].requests, 2);
        assert_eq!(s.endpoints["v2/dataservice F4311"].errors, 1);
        assert_eq!(s.first_at, Some(t0));
        assert_eq!(s.last_end, Some(t0 + jiff::SignedDuration::from_millis(40)));
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
