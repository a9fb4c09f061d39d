//! The listener of `run`: what a slow or greedy client can hold.
//!
//! - **Connection cap** (`[server] max_connections`, default 512): a connection is accepted only
//!   when a slot is free; beyond the cap new connections wait in the kernel's accept queue (and
//!   are refused by the kernel once that is full) instead of each costing a task and a socket.
//! - **Per-peer limit** ([`Limits::per_peer`], a quarter of the cap): one address cannot take
//!   every slot. A connection over it is answered `503` with `Retry-After: 1` and closed. Peers
//!   in `trusted_proxies` are never limited (behind a reverse proxy every client shares its
//!   address). A legitimate burst of inbound documents from one sender fits easily: each
//!   document is one short request, and a sender's HTTP client reuses a few connections.
//! - **Header timeout** (`header_timeout`, default 10 s): the whole request head must arrive
//!   within it, also on an idle keep-alive connection, else hyper closes the connection. A
//!   slow-drip client holds a slot for at most this long.
//! - **Body timeout** (`body_timeout`, default 30 s): the whole body must arrive within it,
//!   else the answer is `408` and the connection is closed.
//!
//! HTTP/1.1 only: nothing the service serves needs HTTP/2, and HTTP/1 is where the header
//! timeout applies.
use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::settings::ServerSettings;

/// Largest request body any route accepts (the cXML reader's own limit, plus one byte so the
/// reader names the limit itself).
pub(crate) const MAX_BODY: usize = mlc_jaggaer::cxml::MAX_DOCUMENT_BYTES + 1;

/// What a client may hold.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Open connections at once.
    pub(crate) max_connections: usize,
    /// Open connections at once from one address (not for `trusted_proxies`).
    pub(crate) per_peer: usize,
    /// The request head must arrive within this.
    pub(crate) header_timeout: Duration,
    /// The request body must arrive within this.
    pub(crate) body_timeout: Duration,
    /// Addresses never limited per peer.
    pub(crate) trusted_proxies: Vec<IpAddr>,
}

impl Limits {
    pub(crate) fn from_settings(s: &ServerSettings) -> Self {
        Self {
            max_connections: s.max_connections,
            per_peer: (s.max_connections / 4).max(1),
            header_timeout: s.header_timeout,
            body_timeout: s.body_timeout,
            trusted_proxies: s
                .trusted_proxies
                .iter()
                .map(|ip| ip.to_canonical())
                .collect(),
        }
    }
}

/// Serves `app` on `listener` until `shutdown`, then lets open requests finish (the caller
/// bounds how long it waits).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let app = app.layer(axum::middleware::from_fn_with_state(
        limits.body_timeout,
        body_deadline,
    ));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let peers = Arc::new(Mutex::new(HashMap::<IpAddr, usize>::new()));
    loop {
        let slot = tokio::select! {
            _ = shutdown.cancelled() => break,
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let (stream, addr) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; per-connection errors
                    // (ECONNABORTED) just move on.
                    tracing::warn!(error = %e, "Could not accept a connection.");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let ip = addr.ip().to_canonical();
        let trusted = limits.trusted_proxies.contains(&ip);
        let Some(peer) = PeerSlot::take(&peers, ip, trusted, limits.per_peer) else {
            metrics::counter!("mlc_http_connections_refused_total", "reason" => "per_peer")
                .increment(1);
            tracing::debug!(peer = %ip, "Refused a connection: too many open from this address.");
            // Best effort and never blocking: the socket is new, its send buffer empty.
            let _ = stream.try_write(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n\
                  Content-Length: 0\r\n\r\n",
            );
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        // The peer's address, for the console's per-peer login limit and `trusted_header`.
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(addr));
                req
            },
        ));
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _peer = peer;
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                // Timeouts, resets and garbage: the client's problem, worth a debug line only.
                tracing::debug!(peer = %addr, error = %e, "HTTP connection ended with an error.");
            }
        });
    }
    drop(listener);
    // Every connection task holds a slot until it ends: having them all back means every open
    // request has finished.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// One open connection of a peer, counted until dropped.
struct PeerSlot {
    peers: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PeerSlot {
    fn take(
        peers: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        ip: IpAddr,
        trusted: bool,
        limit: usize,
    ) -> Option<PeerSlot> {
        let mut map = peers.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_default();
        if !trusted && *n >= limit {
            return None;
        }
        *n += 1;
        Some(PeerSlot {
            peers: peers.clone(),
            ip,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut map = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Reads the whole body within `timeout` (and at most [`MAX_BODY`] bytes) before the handler
/// runs: a client dripping its body is answered 408 and disconnected.
async fn body_deadline(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) => {
            let too_large =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| e.to_string().contains("length limit"));
            if too_large {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body larger than {MAX_BODY} bytes"),
                )
                    .into_response()
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    format!("request body could not be read: {e}"),
                )
                    .into_response()
            }
        }
        Err(_) => {
            metrics::counter!("mlc_http_connections_refused_total", "reason" => "body_timeout")
                .increment(1);
            (
                StatusCode::REQUEST_TIMEOUT,
                [(axum::http::header::CONNECTION, "close")],
                format!("request body not received within {timeout:?}"),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;

    use super::*;

    /// Generous bound for "eventually": only a broken limit gets near it.
    const EVENTUALLY: Duration = Duration::from_secs(20);

    fn limits() -> Limits {
        Limits {
            max_connections: 16,
            per_peer: 16,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
        }
    }

    struct Running {
        addr: SocketAddr,
        shutdown: CancellationToken,
        _dir: tempfile::TempDir,
    }

    impl Drop for Running {
        fn drop(&mut self) {
            self.shutdown.cancel();
        }
    }

    async fn start(limits: Limits) -> Running {
        let (dir, state) = super::super::tests::state().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(serve(
            listener,
            super::super::router(state),
            limits,
            shutdown.clone(),
        ));
        Running {
            addr,
            shutdown,
            _dir: dir,
        }
    }

    /// What the server sends until it closes the connection (or `EVENTUALLY` passes).
    async fn read_all(s: &mut TcpStream) -> String {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(EVENTUALLY, s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    async fn healthz(s: &mut TcpStream) -> String {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        read_all(s).await
    }

    /// True when the server closed (EOF or reset) within `EVENTUALLY` while `drip` kept sending
    /// one more header line every 50 ms.
    async fn closed_while_dripping(s: &mut TcpStream, drip: bool) -> bool {
        let deadline = tokio::time::Instant::now() + EVENTUALLY;
        let mut buf = [0u8; 256];
        while tokio::time::Instant::now() < deadline {
            if drip && s.write_all(b"X-Slow: y\r\n").await.is_err() {
                return true;
            }
            match tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => return false, // an answer: the head was accepted
                Err(_) => {}
            }
        }
        false
    }

    #[tokio::test]
    async fn a_slow_drip_or_silent_client_is_disconnected_after_the_header_timeout() {
        let srv = start(Limits {
            header_timeout: Duration::from_millis(300),
            ..limits()
        })
        .await;
        let mut slow = TcpStream::connect(srv.addr).await.unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        assert!(closed_while_dripping(&mut slow, true).await);
        let mut silent = TcpStream::connect(srv.addr).await.unwrap();
        assert!(closed_while_dripping(&mut silent, false).await);
        // A normal request on a fresh connection is still served.
        let mut ok = TcpStream::connect(srv.addr).await.unwrap();
        assert!(healthz(&mut ok).await.starts_with("HTTP/1.1 200"));
    }

    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_answered_408() {
        let srv = start(Limits {
            body_timeout: Duration::from_millis(300),
            ..limits()
        })
        .await;
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(
            b"POST /cxml/beta HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n\
              Content-Length: 1000\r\n\r\n<cXML>",
        )
        .await
        .unwrap();
        let answer = read_all(&mut s).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }

    #[tokio::test]
    async fn connections_beyond_the_cap_wait_for_a_free_slot() {
        let srv = start(Limits {
            max_connections: 2,
            ..limits()
        })
        .await;
        let first = TcpStream::connect(srv.addr).await.unwrap();
        let _second = TcpStream::connect(srv.addr).await.unwrap();
        let mut third = TcpStream::connect(srv.addr).await.unwrap();
        third
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        // Both slots are held by idle connections: the third is not served...
        let mut buf = [0u8; 64];
        assert!(
            tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf))
                .await
                .is_err(),
            "served beyond the cap"
        );
        // ...until one of them goes away.
        drop(first);
        let answer = read_all(&mut third).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    #[tokio::test]
    async fn one_peer_cannot_take_every_slot_unless_it_is_a_trusted_proxy() {
        let srv = start(Limits {
            per_peer: 1,
            ..limits()
        })
        .await;
        let _held = TcpStream::connect(srv.addr).await.unwrap();
        // Refused at once, before it sends anything (a request sent to the closed socket would
        // draw a reset that may discard the answer).
        let mut next = TcpStream::connect(srv.addr).await.unwrap();
        let answer = read_all(&mut next).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("Retry-After: 1"), "{answer}");

        let srv = start(Limits {
            per_peer: 1,
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..limits()
        })
        .await;
        let _held = TcpStream::connect(srv.addr).await.unwrap();
        let mut next = TcpStream::connect(srv.addr).await.unwrap();
        assert!(healthz(&mut next).await.starts_with("HTTP/1.1 200"));
    }

    /// Issue 16 item 2: 1 MB documents with 100,000 attributes used to take seconds each to
    /// parse, on the runtime, before the secret was checked.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_attribute_documents_are_refused_fast_and_healthz_keeps_answering() {
        let srv = start(limits()).await;
        let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"v\"")).collect();
        let header = |secret: &str| {
            format!(
                "<Header><From><Credential domain=\"d\"><Identity>1</Identity></Credential></From>\
                 <To><Credential domain=\"d\"><Identity>2</Identity></Credential></To>\
                 <Sender><Credential domain=\"d\"><Identity>J</Identity>\
                 <SharedSecret>{secret}</SharedSecret></Credential><UserAgent>x</UserAgent>\
                 </Sender></Header>"
            )
        };
        // Attributes first (the credential beyond the pre-scan), or after a wrong credential.
        let attrs_first = format!("<cXML payloadID=\"p\"{attrs}>{}</cXML>", header("wrong"));
        let wrong_first = format!(
            "<cXML payloadID=\"p\">{}<Request{attrs}/></cXML>",
            header("wrong")
        );
        let right_secret = format!(
            "<cXML payloadID=\"p\">{}<Request{attrs}/></cXML>",
            header("s3cret")
        );
        assert!(attrs_first.len() > 1_000_000);
        let http = reqwest::Client::new();
        let url = format!("http://{}", srv.addr);
        let post = |body: String| {
            let http = http.clone();
            let url = format!("{url}/cxml/beta");
            async move {
                let r = http.post(url).body(body).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let health = async {
            // Asked while the documents are in flight.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let r = http.get(format!("{url}/healthz")).send().await.unwrap();
            r.status().as_u16()
        };
        let all = async {
            tokio::join!(
                post(attrs_first),
                post(wrong_first),
                post(right_secret),
                health
            )
        };
        let (a, b, c, h) = tokio::time::timeout(EVENTUALLY, all)
            .await
            .expect("documents or /healthz not answered in time");
        assert_eq!(h, 200);
        assert_eq!(a.0, 401, "{}", a.1);
        assert!(a.1.contains("SharedSecret is missing"), "{}", a.1);
        assert_eq!(b.0, 401, "{}", b.1);
        assert!(b.1.contains("not recognised"), "{}", b.1);
        // An authenticated sender still cannot make the reader go quadratic.
        assert_eq!(c.0, 400, "{}", c.1);
        assert!(c.1.contains("too many attributes"), "{}", c.1);
    }
}
