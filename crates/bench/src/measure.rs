//! Running the connector as a child process and measuring it: wall time, CPU (user + system)
//! and peak resident set size of that process alone.
//!
//! Why `wait4(2)` and not `getrusage(RUSAGE_CHILDREN)`: the children figure's `ru_maxrss` is
//! the largest of all children ever reaped, not a delta, so a 25,000-PO run after a 100,000-PO
//! run would report the larger one's peak. `wait4` returns the rusage of exactly the child it
//! reaps. The wait is a non-blocking poll (`WNOHANG`, every 2 ms) so a hung child can be killed
//! before it is reaped: killing by pid after reaping could hit a recycled pid.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// What one child run produced and cost.
#[derive(Debug, Clone)]
pub struct ChildRun {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
    /// From spawn to reap.
    pub wall: Duration,
    /// User CPU time of the child.
    pub user_cpu: Duration,
    /// System CPU time of the child.
    pub sys_cpu: Duration,
    /// Peak resident set size of the child in KiB (Linux `ru_maxrss` unit).
    pub max_rss_kib: u64,
}

impl ChildRun {
    /// User + system CPU seconds.
    pub fn cpu_secs(&self) -> f64 {
        (self.user_cpu + self.sys_cpu).as_secs_f64()
    }
}

/// Resource usage of one reaped child.
#[derive(Debug, Clone, Copy)]
struct Usage {
    code: Option<i32>,
    user: Duration,
    sys: Duration,
    max_rss_kib: u64,
}

/// Runs `cmd` to completion with `stdin` fed to it, killing it after `timeout`.
pub fn run_measured(
    mut cmd: Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> anyhow::Result<ChildRun> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let program = format!("{:?}", cmd.get_program());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start {program}"))?;
    let pid = i32::try_from(child.id()).context("child pid out of range")?;

    // Pipes are drained on threads so a chatty child never blocks on a full pipe while we wait.
    let feeder = match (stdin, child.stdin.take()) {
        (Some(data), Some(mut pipe)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            }))
        }
        _ => None,
    };
    let mut out_pipe = child.stdout.take().context("child stdout")?;
    let mut err_pipe = child.stderr.take().context("child stderr")?;
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });

    let deadline = started + timeout;
    let mut killed = false;
    let usage = loop {
        if let Some(u) = wait4(pid)? {
            break u;
        }
        if !killed && Instant::now() >= deadline {
            // Not reaped yet, so the pid is still ours.
            let _ = child.kill();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    if killed {
        bail!(
            "{program} did not finish within {timeout:?} and was killed; its stderr ends with:\n{}",
            tail(&stderr, 2000)
        );
    }
    // `ru_maxrss` of a spawned child also counts the parent's pages it shared between
    // fork/vfork and exec (the kernel carries the old mm's high-water mark over exec), so with
    // the simulators' data in this process it overstates the connector. A connector started
    // with `MLC_REPORT_PEAK_RSS=1` prints its own `VmHWM` (the high-water mark of the exec'd
    // image only) on exit; that figure wins when present.
    let max_rss_kib = reported_peak_rss(&stderr).unwrap_or(usage.max_rss_kib);
    Ok(ChildRun {
        code: usage.code,
        stdout,
        stderr,
        wall,
        user_cpu: usage.user,
        sys_cpu: usage.sys,
        max_rss_kib,
    })
}

/// `mlc-peak-rss-kib=N` as printed by `ml-connector` under `MLC_REPORT_PEAK_RSS`.
fn reported_peak_rss(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("mlc-peak-rss-kib="))
        .and_then(|v| v.trim().parse().ok())
}

/// The last `n` bytes of `s` (on a char boundary), for error messages.
pub fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
}

/// `wait4(pid, WNOHANG)`: `Ok(None)` while the child runs, its usage once reaped.
#[allow(unsafe_code)]
fn wait4(pid: i32) -> anyhow::Result<Option<Usage>> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, all-zero is a valid value; wait4 only writes into the
    // two out-pointers, which point at live locals for the duration of the call.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
    if r == 0 {
        return Ok(None);
    }
    if r < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() == std::io::ErrorKind::Interrupted {
            return Ok(None);
        }
        return Err(e).context("wait4 on the connector process");
    }
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Some(Usage {
        code,
        user: tv(ru.ru_utime),
        sys: tv(ru.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(ru.ru_maxrss).unwrap_or(0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_child_that_allocates() {
        // awk holds a 50 MB string: the shell that waits for it must report a peak above 40 MB.
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#"awk 'BEGIN { s = sprintf("%50000000s", ""); print length(s) }'"#);
        let r = run_measured(cmd, None, Duration::from_secs(20)).unwrap();
        assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
        assert_eq!(r.stdout.trim(), "50000000");
        // Linux's wait4 reports the reaped process together with its own reaped children.
        assert!(r.max_rss_kib > 40_000, "peak RSS {} KiB", r.max_rss_kib);
        assert!(r.cpu_secs() > 0.0);
    }

    #[test]
    fn feeds_stdin_and_reports_exit_code() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("cat; exit 3");
        let r = run_measured(cmd, Some(b"hello"), Duration::from_secs(5)).unwrap();
        assert_eq!(r.code, Some(3));
        assert_eq!(r.stdout, "hello");
    }

    #[test]
    fn kills_a_child_past_its_timeout() {
        let mut cmd = Command::new("sleep");
        cmd.arg("10");
        let t = Instant::now();
        let e = run_measured(cmd, None, Duration::from_millis(200)).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(e.to_string().contains("was killed"), "{e}");
    }
}
