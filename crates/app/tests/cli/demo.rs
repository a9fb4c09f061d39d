//! `demo` end to end: the real binary, both simulators, a store and vault in a temp directory.
use std::path::Path;

use assert_cmd::Command;

use crate::helpers::{stderr, stdout};

/// `ml-connector` with a clean environment (no master key: the demo brings its own key file).
fn cmd(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ml-connector"));
    c.current_dir(cwd).env_clear().env("RUST_LOG", "warn");
    c
}

/// One row of the demo's summary table: cycle, entity and the six counts.
#[derive(Debug)]
struct Row {
    cycle: String,
    entity: String,
    read: u64,
    created: u64,
    updated: u64,
    unchanged: u64,
}

/// The rows of the table after the `Summary` heading (comfy-table's condensed UTF-8 preset:
/// `│` at the edges, `┆` between cells).
fn summary_rows(out: &str) -> Vec<Row> {
    let summary = &out[out.find("\nSummary").expect("a Summary section")..];
    summary
        .lines()
        .map(|l| {
            l.split(['│', '┆'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() == 8 && cells[2].parse::<u64>().is_ok())
        .map(|c| Row {
            cycle: c[0].to_owned(),
            entity: c[1].to_owned(),
            read: c[2].parse().unwrap(),
            created: c[3].parse().unwrap(),
            updated: c[4].parse().unwrap(),
            unchanged: c[5].parse().unwrap(),
        })
        .collect()
}

fn row<'a>(rows: &'a [Row], cycle: &str, entity: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.cycle == cycle && r.entity == entity)
        .unwrap_or_else(|| panic!("no row {cycle}/{entity} in {rows:#?}"))
}

/// The demo syncs both ways, the second cycle is incremental, the files it leaves behind work
/// with the other commands, and a second run in the same directory starts afresh.
#[test]
fn demo_runs_two_cycles_and_leaves_a_working_config() {
    // Arrange
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");

    // Act
    let out = cmd(tmp.path())
        .args(["demo", "--dir", dir.to_str().unwrap(), "--seed", "7"])
        .output()
        .unwrap();

    // Assert
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let rows = summary_rows(&text);
    for entity in ["suppliers", "accounts", "purchase-orders", "invoices"] {
        assert!(rows.iter().any(|r| r.entity == entity), "{entity}: {text}");
    }
    assert!(row(&rows, "1 full", "suppliers").created > 0, "{text}");
    assert!(
        row(&rows, "1 full", "purchase-orders").created > 0,
        "{text}"
    );
    let reads = |cycle: &str| -> u64 {
        rows.iter()
            .filter(|r| r.cycle == cycle)
            .map(|r| r.read)
            .sum()
    };
    assert!(reads("2 incremental") < reads("1 full"), "{text}");
    let second: Vec<&Row> = rows.iter().filter(|r| r.cycle == "2 incremental").collect();
    let unchanged: u64 = second.iter().map(|r| r.unchanged).sum();
    let written: u64 = second.iter().map(|r| r.created + r.updated).sum();
    assert!(unchanged > written, "mostly unchanged in cycle 2: {text}");
    assert!(text.contains("Where to look next"), "{text}");
    assert!(text.contains("audit po:demo:"), "{text}");
    assert!(dir.join("ml-connector.db").exists());
    let key = std::fs::read_to_string(dir.join("master.key")).unwrap();
    assert!(
        !text.contains(key.trim()),
        "the master key must not be printed"
    );

    let config = dir.join("ml-connector.toml");
    let out = cmd(tmp.path())
        .args(["status", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("demo"), "{}", stdout(&out));

    // A second run replaces what the first left.
    let out = cmd(tmp.path())
        .args(["demo", "--dir", dir.to_str().unwrap(), "--seed", "7"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
}

/// A directory the demo did not create is never cleared.
#[test]
fn demo_refuses_a_foreign_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "keep me").unwrap();

    let out = cmd(tmp.path())
        .args(["demo", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not created by"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "keep me"
    );
}

/// `demo --keep-running --listen`: the console comes up on the address asked for (port 0: a free
/// one, printed), and a taken port fails at once, before any sync, saying what to change.
#[test]
fn demo_keep_running_listens_where_asked() {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");

    // A port in use: exit 1 with the address and the option to change, and nothing synced.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = cmd(tmp.path())
        .args([
            "demo",
            "--keep-running",
            "--dir",
            dir.to_str().unwrap(),
            "--listen",
            &addr,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!("cannot listen on {addr}")),
        "{}",
        stderr(&out)
    );
    assert!(
        !stdout(&out).contains("Summary"),
        "no sync before the bind: {}",
        stdout(&out)
    );
    drop(taken);

    // Port 0: the demo prints the address it took, and the console answers there.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ml-connector"))
        .current_dir(tmp.path())
        .env_clear()
        .env("RUST_LOG", "warn")
        .args(["demo", "--keep-running", "--dir", dir.to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--seed", "3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Drain stdout on a thread for as long as the demo runs: a closed pipe would make the demo
    // stop quietly at its next line (as a closed pipe should).
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut console = None;
    let mut seen = String::new();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(120)) {
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.trim().strip_prefix("console") {
            let url = rest.split_whitespace().next().unwrap().to_owned();
            console = Some(url);
            break;
        }
    }
    let console = console.unwrap_or_else(|| panic!("no console line:\n{seen}"));
    let host = console
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    assert!(!host.ends_with(":0"), "the real port is printed: {console}");
    let mut stream = std::net::TcpStream::connect(&host).unwrap();
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let config = std::fs::read_to_string(dir.join("ml-connector.toml")).unwrap();
    assert!(config.contains(&format!("listen = \"{host}\"")), "{config}");
}
