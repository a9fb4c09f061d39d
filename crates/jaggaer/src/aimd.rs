//! Adaptive concurrency limit (AIMD: additive increase, multiplicative decrease).
//!
//! The cap on requests in flight starts at `max_in_flight`. Every 429 or 503 halves it (never
//! below 1); every full "window" of successes (as many successes as the current cap) grows it by
//! one, up to `max_in_flight`. This is the TCP congestion-control idea: back off hard when the
//! server says it is overloaded, probe upwards slowly when it copes.
use std::sync::Mutex;

use tokio::sync::Notify;

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    successes: usize,
}

/// The adaptive limiter; shared by all requests of one client.
#[derive(Debug)]
pub(crate) struct Aimd {
    max: usize,
    state: Mutex<State>,
    notify: Notify,
}

/// A slot in the in-flight window; released on drop.
pub(crate) struct AimdPermit<'a> {
    aimd: &'a Aimd,
}

impl Drop for AimdPermit<'_> {
    fn drop(&mut self) {
        let mut s = self.aimd.lock();
        s.in_flight -= 1;
        drop(s);
        self.aimd.notify.notify_waiters();
    }
}

impl Aimd {
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            max,
            state: Mutex::new(State {
                limit: max,
                in_flight: 0,
                successes: 0,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the counters half-updated (each
        // critical section is a few integer operations), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a free slot under the current cap.
    pub(crate) async fn acquire(&self) -> AimdPermit<'_> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Register interest before checking, so a release between check and await is seen.
            notified.as_mut().enable();
            {
                let mut s = self.lock();
                if s.in_flight < s.limit {
                    s.in_flight += 1;
                    return AimdPermit { aimd: self };
                }
            }
            notified.await;
        }
    }

    /// A request succeeded: after a window of `limit` successes, grow the cap by one.
    pub(crate) fn on_success(&self) {
        let mut s = self.lock();
        s.successes += 1;
        if s.successes >= s.limit {
            s.successes = 0;
            if s.limit < self.max {
                s.limit += 1;
                drop(s);
                self.notify.notify_waiters();
            }
        }
    }

    /// The server signalled overload (429/503): halve the cap.
    pub(crate) fn on_overload(&self) {
        let mut s = self.lock();
        s.limit = (s.limit / 2).max(1);
        s.successes = 0;
    }

    /// The current cap.
    pub(crate) fn limit(&self) -> usize {
        self.lock().limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_on_overload_and_grows_by_one_per_window() {
        let a = Aimd::new(8);
        assert_eq!(a.limit(), 8);
        a.on_overload();
        assert_eq!(a.limit(), 4);
        a.on_overload();
        a.on_overload();
        a.on_overload();
        assert_eq!(a.limit(), 1, "never below one");
        a.on_success();
        assert_eq!(a.limit(), 2, "a window of 1 success at cap 1");
        a.on_success();
        assert_eq!(a.limit(), 2, "window at cap 2 needs 2 successes");
        a.on_success();
        assert_eq!(a.limit(), 3);
        for _ in 0..100 {
            a.on_success();
        }
        assert_eq!(a.limit(), 8, "never above max_in_flight");
    }

    #[tokio::test]
    async fn caps_in_flight_and_releases_waiters() {
        let a = std::sync::Arc::new(Aimd::new(2));
        a.on_overload(); // cap 1
        let p1 = a.acquire().await;
        let a2 = a.clone();
        let waiter = tokio::spawn(async move {
            let _p = a2.acquire().await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(
            !waiter.is_finished(),
            "second request must wait under cap 1"
        );
        drop(p1);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter)
            .await
            .expect("waiter released")
            .unwrap();
    }
}
