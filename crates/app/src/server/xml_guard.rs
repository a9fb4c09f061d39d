//! The guard in front of every inbound XML endpoint (the cXML invoice endpoint now, the JAGGAER
//! export endpoint later): nothing expensive happens for a sender that is not authenticated,
//! and no document can stall the service.
//!
//! 1. [`XmlGuard::precheck_secret`]: a cheap, bounded scan of the first [`PRESCAN_BYTES`] for
//!    the `Header/Sender/Credential/SharedSecret` elements, compared in constant time with the
//!    expected secret. No match (or none found): 401 before any parsing. The scan can only
//!    *refuse*: a document it lets through is parsed in full and its credential checked again
//!    on the parsed tree, so a document crafted to fool the scan gains nothing.
//! 2. [`XmlGuard::parse`]: the full parse runs on a blocking thread (`spawn_blocking`), never
//!    on the async runtime that answers `/healthz`, and at most [`XmlGuard::parallel`] at once
//!    (a semaphore); the reader itself caps size, depth, attributes per element and elements
//!    per document. A document that waits longer than [`QUEUE_WAIT`] for its turn is answered
//!    503 ("busy, retry later").
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

/// How far into a document the credential pre-scan looks. cXML puts the `Header` first and it
/// is a few hundred bytes; a document whose credential is not within this is refused.
pub(crate) const PRESCAN_BYTES: usize = 64 * 1024;
/// Longest a document waits for a parse slot before it is answered 503.
pub(crate) const QUEUE_WAIT: Duration = Duration::from_secs(30);

/// Why a guarded step refused a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not authenticated (401); the text is told to the sender and never holds the secret.
    Unauthorized(&'static str),
    /// Every parse slot stayed busy for [`QUEUE_WAIT`] (503).
    Busy,
    /// The parse task failed (panicked): 500.
    Failed,
}

/// Concurrency limit and helpers for inbound XML.
#[derive(Debug, Clone)]
pub(crate) struct XmlGuard {
    permits: Arc<Semaphore>,
    parallel: usize,
}

impl Default for XmlGuard {
    fn default() -> Self {
        // Parsing is CPU work: no more at once than there are cores (at most 4), so the
        // runtime's own threads always have room.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores.clamp(1, 4))
    }
}

impl XmlGuard {
    pub(crate) fn new(parallel: usize) -> Self {
        let parallel = parallel.max(1);
        Self {
            permits: Arc::new(Semaphore::new(parallel)),
            parallel,
        }
    }

    /// Parses at most this many documents at once.
    pub(crate) fn parallel(&self) -> usize {
        self.parallel
    }

    /// Step 1: the bounded pre-scan of the sender's shared secret (see the module docs).
    pub(crate) fn precheck_secret(
        &self,
        body: &[u8],
        expected: Option<&SecretString>,
    ) -> Result<(), Refusal> {
        let Some(expected) = expected else {
            return Err(Refusal::Unauthorized(
                "this receiver has no shared secret configured",
            ));
        };
        let head = &body[..body.len().min(PRESCAN_BYTES)];
        let secrets = sender_shared_secrets(head);
        if secrets.is_empty() {
            return Err(Refusal::Unauthorized(
                "Sender/Credential/SharedSecret is missing",
            ));
        }
        if secret_matches(secrets.iter().map(String::as_str), expected) {
            Ok(())
        } else {
            Err(Refusal::Unauthorized("Sender credentials not recognised"))
        }
    }

    /// Step 2: runs `parse` over `body` on a blocking thread, behind the concurrency limit.
    pub(crate) async fn parse<T, F>(&self, body: axum::body::Bytes, parse: F) -> Result<T, Refusal>
    where
        T: Send + 'static,
        F: FnOnce(&[u8]) -> T + Send + 'static,
    {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Refusal::Busy)?
            .map_err(|_| Refusal::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            parse(&body)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "An XML parse task failed.");
            Refusal::Failed
        })
    }
}

/// Compares every presented secret with `expected` in constant time: SHA-256 of both, then
/// `subtle`, and no early exit, so neither the content nor the length of the secret, nor which
/// credential matched, leaks through timing.
pub(crate) fn secret_matches<'a>(
    presented: impl IntoIterator<Item = &'a str>,
    expected: &SecretString,
) -> bool {
    let want = Sha256::digest(expected.expose_secret().as_bytes());
    let mut ok = subtle::Choice::from(0);
    for s in presented {
        let got = Sha256::digest(s.as_bytes());
        ok |= got.as_slice().ct_eq(want.as_slice());
    }
    bool::from(ok)
}

/// The text of every `SharedSecret` inside the first `<Sender>…</Sender>` of `head`, as the
/// full reader would see it (CDATA unwrapped, the five XML entities and character references
/// resolved, trimmed). Anything unusual yields a value that will not match, never a panic.
fn sender_shared_secrets(head: &[u8]) -> Vec<String> {
    // Work on the longest valid UTF-8 prefix (the window may cut a character).
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let Some(start) = text.find("<Sender>").or_else(|| text.find("<Sender ")) else {
        return Vec::new();
    };
    let sender = &text[start..];
    let Some(end) = sender.find("</Sender>") else {
        return Vec::new();
    };
    let mut rest = &sender[..end];
    let mut out = Vec::new();
    while let Some(i) = rest.find("<SharedSecret>") {
        let after = &rest[i + "<SharedSecret>".len()..];
        let Some(j) = after.find("</SharedSecret>") else {
            break;
        };
        let raw = &after[..j];
        let value = match raw.trim().strip_prefix("<![CDATA[") {
            Some(c) => c.strip_suffix("]]>").unwrap_or(c).to_owned(),
            None => quick_xml::escape::unescape(raw)
                .map(|c| c.into_owned())
                .unwrap_or_default(),
        };
        out.push(value.trim().to_owned());
        rest = &after[j..];
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn doc(secret: &str) -> String {
        format!(
            "<cXML><Header><From><Credential><Identity>1</Identity></Credential></From>\
             <Sender><Credential domain=\"x\"><Identity>J</Identity><SharedSecret>{secret}\
             </SharedSecret></Credential></Sender></Header><Request/></cXML>"
        )
    }

    #[test]
    fn the_prescan_finds_the_sender_secret_as_the_reader_would() {
        let g = XmlGuard::new(1);
        let want = SecretString::from("s3c&ret");
        assert_eq!(
            g.precheck_secret(doc("s3c&amp;ret").as_bytes(), Some(&want)),
            Ok(())
        );
        assert_eq!(
            g.precheck_secret(doc("<![CDATA[s3c&ret]]>").as_bytes(), Some(&want)),
            Ok(())
        );
        for bad in ["s3c&ret2", "", "s3c", "S3C&amp;RET"] {
            assert_eq!(
                g.precheck_secret(doc(bad).as_bytes(), Some(&want)),
                Err(Refusal::Unauthorized("Sender credentials not recognised")),
                "{bad}"
            );
        }
        // A secret outside Sender (e.g. in From) does not count.
        let elsewhere = doc("x").replace(
            "<From><Credential>",
            "<From><Credential><SharedSecret>s3c&amp;ret</SharedSecret>",
        );
        assert!(
            g.precheck_secret(elsewhere.as_bytes(), Some(&want))
                .is_err()
        );
        // Beyond the scanned window: missing.
        let late = format!(
            "<cXML pad=\"{}\">{}",
            "x".repeat(PRESCAN_BYTES),
            doc("s3c&amp;ret")
        );
        assert_eq!(
            g.precheck_secret(late.as_bytes(), Some(&want)),
            Err(Refusal::Unauthorized(
                "Sender/Credential/SharedSecret is missing"
            ))
        );
        assert!(
            g.precheck_secret(doc("s3c&amp;ret").as_bytes(), None)
                .is_err()
        );
        assert!(g.precheck_secret(&[0xff, 0xfe, b'<'], Some(&want)).is_err());
    }

    /// The parse runs off the runtime: a single-threaded runtime keeps serving while a parse
    /// blocks, and the second parse waits for the first one's slot.
    #[tokio::test(flavor = "current_thread")]
    async fn parses_run_on_blocking_threads_one_slot_at_a_time() {
        let g = XmlGuard::new(1);
        let started = Arc::new(AtomicUsize::new(0));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let first = {
            let (g, started) = (g.clone(), started.clone());
            tokio::spawn(async move {
                g.parse(axum::body::Bytes::from_static(b"a"), move |b| {
                    started.fetch_add(1, Ordering::SeqCst);
                    wait.recv().unwrap();
                    b.len()
                })
                .await
            })
        };
        let second = {
            let (g, started) = (g.clone(), started.clone());
            tokio::spawn(async move {
                g.parse(axum::body::Bytes::from_static(b"bb"), move |b| {
                    started.fetch_add(1, Ordering::SeqCst);
                    b.len()
                })
                .await
            })
        };
        // The runtime is free while the first parse blocks: these sleeps complete.
        while started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            started.load(Ordering::SeqCst),
            1,
            "the second parse did not wait"
        );
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(1));
        assert_eq!(second.await.unwrap(), Ok(2));
    }
}
