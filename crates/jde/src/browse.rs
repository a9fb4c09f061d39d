//! Streaming BROWSE over the data service.
//!
//! Pages are yielded one by one (never collected whole). The first page comes from
//! `POST v2/dataservice`; later pages from the `links[rel=next]` href. When a next call fails
//! because the server-side result set is gone (500 `JAS_MSG347`, or the token it was bound to
//! died), the query restarts: by keyset (`sort columns > last row seen`) when the query is
//! ordered, else from the beginning (rows then repeat; callers dedupe on the table key). Keyset
//! paging is also the fallback when the server reports more rows but sends no link.

use std::marker::PhantomData;

use futures::{Stream, TryStreamExt};
use mlc_core::jdetime::parse_yyyymmdd;
use reqwest::Method;
use serde_json::{Map, Value};
use url::Url;

use crate::client::{AisClient, Endpoint, RetryMode, error_message, form_errors, parse_json};
use crate::error::JdeError;
use crate::query::{Literal, Query};
use crate::rows::{JdeRow, parse_decimal};

/// Restarts allowed in a row without a single new row yielded in between.
const MAX_STALLED_RESTARTS: u32 = 3;
/// Restarts of any kind per browse: a safety net against a server that expires every link.
const MAX_TOTAL_RESTARTS: u32 = 100;
/// Restarts from the beginning (no keyset possible) allowed per browse.
const MAX_FULL_RESTARTS: u32 = 3;

enum Step {
    First(Query),
    Next(Url),
    Done,
}

struct Pager<R> {
    client: AisClient,
    query: Query,
    step: Step,
    /// Sort-column values of the last row yielded (keyset position).
    last_key: Option<Vec<Literal>>,
    stalled_restarts: u32,
    full_restarts: u32,
    total_restarts: u32,
    _rows: PhantomData<fn() -> R>,
}

/// One decoded data service page.
struct Page {
    rows: Vec<Map<String, Value>>,
    more: bool,
    next: Option<String>,
}

impl AisClient {
    /// Streams the rows of `q`, page by page, decoded as `R`. When `q` names no columns, `R`'s
    /// columns are requested. Order by a unique key to get keyset restarts (no duplicates
    /// after a result-set expiry).
    pub fn browse<R: JdeRow>(
        &self,
        q: Query,
    ) -> impl Stream<Item = Result<Vec<R>, JdeError>> + Send + 'static {
        let query = if q.columns.is_empty() {
            q.columns(R::COLUMNS)
        } else {
            q
        };
        let pager = Pager::<R> {
            client: self.clone(),
            step: Step::First(query.clone()),
            query,
            last_key: None,
            stalled_restarts: 0,
            full_restarts: 0,
            total_restarts: 0,
            _rows: PhantomData,
        };
        futures::stream::try_unfold(pager, |mut p| async move {
            match p.next_page().await? {
                Some(rows) => Ok(Some((rows, p))),
                None => Ok(None),
            }
        })
    }

    /// All rows of a small table (reference data such as F0013, F0010), pages concatenated.
    pub async fn fetch_all<R: JdeRow>(&self, q: Query) -> Result<Vec<R>, JdeError> {
        let mut pages = std::pin::pin!(self.browse::<R>(q));
        let mut out = Vec::new();
        while let Some(page) = pages.try_next().await? {
            out.extend(page);
        }
        Ok(out)
    }

    async fn data_page(&self, q: &Query) -> Result<Page, JdeError> {
        let session = self.session().await?;
        let body = q.to_request(&session.info.simple_date_format)?;
        let url = self.url("v2/dataservice")?;
        let r = self
            .call(
                Endpoint::DataService,
                Method::POST,
                url,
                Some(&body),
                RetryMode::Idempotent,
            )
            .await?;
        parse_page(Endpoint::DataService, &q.table, &r.body)
    }

    async fn next_link_page(&self, table: &str, url: Url) -> Result<Page, JdeError> {
        let r = self
            .call(
                Endpoint::Next,
                Method::POST,
                url,
                None,
                RetryMode::Idempotent,
            )
            .await?;
        parse_page(Endpoint::Next, table, &r.body)
    }

    /// A next href may name the AIS host as the server sees itself (internal name behind a
    /// proxy). Only its query matters; it is re-rooted on our base so the token header never
    /// goes to another origin.
    fn rebase_next(&self, href: &str) -> Result<Url, JdeError> {
        let base = self.base_url();
        let given =
            Url::parse(href)
                .or_else(|_| base.join(href))
                .map_err(|e| JdeError::Malformed {
                    endpoint: "dataservice",
                    path: "links[rel=next].href".into(),
                    reason: format!("not a URL: {e}"),
                    body: String::new(),
                })?;
        if given.origin() == base.origin() && given.path().starts_with(base.path()) {
            return Ok(given);
        }
        let mut u = self.url("v2/dataservice/next")?;
        u.set_query(given.query());
        Ok(u)
    }
}

impl<R: JdeRow> Pager<R> {
    async fn next_page(&mut self) -> Result<Option<Vec<R>>, JdeError> {
        loop {
            let step = std::mem::replace(&mut self.step, Step::Done);
            let page = match step {
                Step::Done => return Ok(None),
                Step::First(q) => self.client.data_page(&q).await?,
                Step::Next(url) => match self.client.next_link_page(&self.query.table, url).await {
                    Ok(p) => p,
                    Err(
                        e @ (JdeError::ResultSetExpired { .. } | JdeError::SessionRejected { .. }),
                    ) => {
                        self.restart(&e)?;
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            self.step = match &page.next {
                Some(href) => Step::Next(self.client.rebase_next(href)?),
                None if page.more => {
                    match (&self.last_key_after(&page), self.query.order.is_empty()) {
                        (Some(key), false) => Step::First(self.query.after(key)),
                        _ => {
                            return Err(JdeError::Paging {
                                table: self.query.table.clone(),
                                reason:
                                    "the server reports more rows but sent no next link, and the \
                                     query has no usable sort key for keyset paging"
                                        .into(),
                            });
                        }
                    }
                }
                None => Step::Done,
            };
            if page.rows.is_empty() {
                continue;
            }
            let rows = page
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| R::decode(r, i))
                .collect::<Result<Vec<R>, _>>()?;
            self.last_key = self.last_key_after(&page);
            self.stalled_restarts = 0;
            return Ok(Some(rows));
        }
    }

    /// Sort-column values of the page's last row, as literals for a keyset condition.
    fn last_key_after(&self, page: &Page) -> Option<Vec<Literal>> {
        if self.query.order.is_empty() {
            return None;
        }
        let last = page.rows.last()?;
        self.query
            .order
            .iter()
            .map(|(col, _)| {
                let v = last.get(&format!("{}_{col}", self.query.table))?;
                match v {
                    Value::Number(n) => parse_decimal(&n.to_string()).map(Literal::Decimal),
                    Value::String(s) if R::DATE_COLUMNS.contains(&col.as_str()) => {
                        parse_yyyymmdd(s).ok().flatten().map(Literal::Date)
                    }
                    Value::String(s) => Some(Literal::Text(s.trim().to_owned())),
                    _ => None,
                }
            })
            .collect()
    }

    fn restart(&mut self, cause: &JdeError) -> Result<(), JdeError> {
        self.stalled_restarts += 1;
        self.total_restarts += 1;
        if self.total_restarts > MAX_TOTAL_RESTARTS {
            return Err(JdeError::Paging {
                table: self.query.table.clone(),
                reason: format!("result set lost {MAX_TOTAL_RESTARTS} times: {cause}"),
            });
        }
        if self.stalled_restarts > MAX_STALLED_RESTARTS {
            return Err(JdeError::Paging {
                table: self.query.table.clone(),
                reason: format!(
                    "result set lost {MAX_STALLED_RESTARTS} times without progress: {cause}"
                ),
            });
        }
        self.client.count_restart();
        self.step = match (&self.last_key, self.query.order.is_empty()) {
            (Some(key), false) => Step::First(self.query.after(key)),
            (None, false) => Step::First(self.query.clone()),
            (_, true) => {
                self.full_restarts += 1;
                if self.full_restarts > MAX_FULL_RESTARTS {
                    return Err(JdeError::Paging {
                        table: self.query.table.clone(),
                        reason: format!(
                            "unordered query restarted {MAX_FULL_RESTARTS} times: {cause}"
                        ),
                    });
                }
                Step::First(self.query.clone())
            }
        };
        tracing::warn!(table = %self.query.table, error = %cause, "AIS result set lost, restarting the query");
        Ok(())
    }
}

fn parse_page(endpoint: Endpoint, table: &str, body: &[u8]) -> Result<Page, JdeError> {
    let v = parse_json(endpoint, body)?;
    let malformed = |path: String, reason: &str| JdeError::Malformed {
        endpoint: endpoint.label(),
        path,
        reason: reason.to_owned(),
        body: crate::error::truncate(&String::from_utf8_lossy(body), 2048),
    };
    let key = format!("fs_DATABROWSE_{table}");
    let Some(fs) = v.get(&key) else {
        let sys = v
            .get("sysErrors")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if sys {
            return Err(JdeError::Remote {
                endpoint: endpoint.label(),
                status: 200,
                message: error_message(&v).unwrap_or_else(|| "sysErrors".into()),
                exception: None,
                body: crate::error::truncate(&String::from_utf8_lossy(body), 2048),
                errors: form_errors(&v),
                business: false,
                retry_after: None,
            });
        }
        return Err(malformed(key, "missing"));
    };
    let errors = form_errors(fs);
    let grid = fs.pointer("/data/gridData");
    let rowset = match grid.and_then(|g| g.get("rowset")) {
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(malformed(
                format!("{key}.data.gridData.rowset"),
                "not an array",
            ));
        }
        None if !errors.is_empty() => {
            return Err(JdeError::Remote {
                endpoint: endpoint.label(),
                status: 200,
                message: errors[0].to_string(),
                exception: None,
                body: crate::error::truncate(&String::from_utf8_lossy(body), 2048),
                errors,
                business: false,
                retry_after: None,
            });
        }
        None => return Err(malformed(format!("{key}.data.gridData.rowset"), "missing")),
    };
    let mut rows = Vec::with_capacity(rowset.len());
    for (i, r) in rowset.iter().enumerate() {
        match r {
            Value::Object(m) => rows.push(m.clone()),
            _ => {
                return Err(malformed(
                    format!("{key}.data.gridData.rowset[{i}]"),
                    "not an object",
                ));
            }
        }
    }
    let more = grid
        .and_then(|g| g.pointer("/summary/moreRecords"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let next = v
        .get("links")
        .and_then(Value::as_array)
        .and_then(|links| {
            links
                .iter()
                .find(|l| l.get("rel").and_then(Value::as_str) == Some("next"))
        })
        .and_then(|l| l.get("href").and_then(Value::as_str))
        .filter(|h| !h.trim().is_empty())
        .map(str::to_owned);
    Ok(Page { rows, more, next })
}
