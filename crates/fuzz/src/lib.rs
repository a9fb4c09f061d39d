//! `mlc-fuzz`: the fuzz harness of the readers (test-only, never linked into the product).
//!
//! The toolchain is stable only, so cargo-fuzz (libFuzzer, nightly `-Z sanitizer`) is out.
//! Instead every reader has a proptest target in its own crate's tests (the config loader is
//! private to the binary crate, so its target has to live there; the others follow the same
//! pattern), and this crate holds what they share:
//!
//! - [`inputs`]: the generated input of one case: a seed document (a real fixture) put
//!   through a list of [`Mutation`]s, or raw bytes. The mutations are structure-aware where it
//!   matters (numbers become huge or odd, strings long or non-UTF-8, JSON values change type,
//!   XML elements are duplicated, nested deeply or given many attributes) plus plain byte
//!   flips, inserts, deletions and splices. Every input is cut at [`MAX_INPUT`] bytes, so a
//!   case is bounded (the property "never hangs" is checked against a bounded input).
//! - [`run`]: runs a target for [`cases`] inputs (`MLC_FUZZ_CASES`, default
//!   [`SMOKE_CASES`]) from seed [`seed`] (`MLC_FUZZ_SEED`), catches panics (proptest shrinks
//!   the failing input and the test fails naming it), checks that every error the target
//!   reports names what failed, and guards against hangs with a watchdog that aborts the test
//!   process (printing the input) when one case runs longer than `MLC_FUZZ_HANG_SECS`
//!   (default 60 s, far above any case's real cost; it only fires on a hang).
//!
//! A target is a function `&[u8] -> Result<(), String>`: `Ok` when the reader accepted or
//! refused the input properly, `Err(why)` when the refusal does not name what failed (the
//! harness turns that into a failure). A panic anywhere is a failure too.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// Upper bound of one generated input, in bytes.
pub const MAX_INPUT: usize = 256 * 1024;
/// Cases per target when `MLC_FUZZ_CASES` is not set (the smoke run of `cargo test`).
pub const SMOKE_CASES: u32 = 3000;
/// Seed when `MLC_FUZZ_SEED` is not set: the smoke run is deterministic.
pub const DEFAULT_SEED: u64 = 0x6d6c_635f_6675_7a7a;

/// Cases per target: `MLC_FUZZ_CASES`, else [`SMOKE_CASES`].
pub fn cases() -> u32 {
    std::env::var("MLC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(SMOKE_CASES)
}

/// The seed: `MLC_FUZZ_SEED` (a number, or `random` for one drawn from the clock), else
/// [`DEFAULT_SEED`].
pub fn seed() -> u64 {
    match std::env::var("MLC_FUZZ_SEED").ok().as_deref() {
        None | Some("") => DEFAULT_SEED,
        Some("random") => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(DEFAULT_SEED),
        Some(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("MLC_FUZZ_SEED={v} is neither a number nor `random`")),
    }
}

/// One edit of a seed document (each variant's doc says what its fields mean).
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum Mutation {
    /// XOR the byte at `at` (modulo the length) with `mask`.
    FlipByte { at: usize, mask: u8 },
    /// Insert these bytes at `at`.
    Insert { at: usize, bytes: Vec<u8> },
    /// Insert a token from [`TOKENS`] at `at`.
    InsertToken { at: usize, token: usize },
    /// Remove `len` bytes at `at`.
    Delete { at: usize, len: usize },
    /// Copy `len` bytes at `from` to `to` (repeats a piece of structure).
    Duplicate { from: usize, len: usize, to: usize },
    /// Replace the `nth` run of ASCII digits with a token from [`NUMBERS`].
    Number { nth: usize, number: usize },
    /// Replace the `nth` quoted or element text with a token from [`STRINGS`].
    Text { nth: usize, text: usize },
    /// JSON only (inputs that do not parse are left alone): replace the value at the `nth`
    /// position of a depth-first walk with `value` from [`json_value`].
    JsonValue { nth: usize, value: JsonEdit },
    /// XML-ish: repeat the `nth` start tag's attribute list `times` times (duplicate and
    /// many attributes).
    Attributes { nth: usize, times: usize },
    /// XML-ish: wrap the `nth` element in `depth` levels of itself (deep nesting).
    Nest { nth: usize, depth: usize },
    /// XML-ish: copy the `nth` element `times` times after itself (many elements).
    Repeat { nth: usize, times: usize },
}

/// How a JSON value is replaced.
#[derive(Debug, Clone)]
pub enum JsonEdit {
    /// A number token from [`NUMBERS`] (as a raw JSON number when it is one, else a string).
    Number(usize),
    /// A string from [`STRINGS`].
    String(usize),
    /// `null`, `true`, `{}` or `[]`.
    Scalar(u8),
    /// The value wrapped `depth` times in an array.
    Nest(usize),
    /// The key removed (objects) or the element removed (arrays).
    Remove,
    /// A whole object or array repeated `times` times (arrays only; objects: keys copied).
    Repeat(usize),
}

/// Odd numbers: huge, tiny, negative zero, exponents, leading zeros, not numbers at all.
pub const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1e999999",
    "-1e999999",
    "1e-999999",
    "99999999999999999999999999999999999999999",
    "-99999999999999999999999999999999999999999",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "4294967296",
    "0.0000000000000000000000000000001",
    "123456789012345678901234567890.123456789",
    "1E28",
    "1e+300",
    "00000000000000001",
    "1.",
    ".5",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
    "１２３",
    "99999999",
    "20261340",
    "00000000",
    "126366",
    "999999",
    "240000",
    "235960",
];

/// Odd strings: empty, whitespace, long, control characters, markup, escapes, odd Unicode.
pub const STRINGS: &[&str] = &[
    "",
    " ",
    "\t\r\n",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\u{202e}abc",
    "\u{10ffff}",
    "é",
    "😀",
    "<",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&unknown;",
    "]]>",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "%s%n",
    "../../etc/passwd",
    "2026-02-30",
    "2026-11-20T25:61:61Z",
    "9999-12-31T23:59:59.999999999Z",
    "-0001-01-01T00:00:00Z",
    "USD ",
    "XXX",
    "Payable",
    "Credit Memo",
];

/// Tokens spliced into any input: markup, JSON punctuation, invalid UTF-8, entity bombs.
pub const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?xml version=\"1.0\"?>",
    b"<!DOCTYPE a [<!ENTITY e \"eeeeeeeeee\"><!ENTITY f \"&e;&e;&e;&e;&e;\">]>",
    b"&e;",
    b"&f;",
    b"&#x0;",
    b"&#99999999;",
    b"xmlns:a=\"urn:a\"",
    b" a=\"1\" a=\"2\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"null",
    b"true",
    b"\xff",
    b"\xfe\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x00",
    b"\r\n",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"=",
    b"\"\"\"\"",
    b"'''",
    b"[[",
    b"]]",
];

fn index(at: usize, len: usize) -> usize {
    if len == 0 { 0 } else { at % (len + 1) }
}

/// Byte spans of ASCII digit runs.
fn digit_runs(doc: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < doc.len() {
        if doc[i].is_ascii_digit() {
            let s = i;
            while i < doc.len() && (doc[i].is_ascii_digit() || doc[i] == b'.') {
                i += 1;
            }
            runs.push((s, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// Byte spans of the insides of `"…"` and `>…<` (string values and element text).
fn text_runs(doc: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < doc.len() {
        let close = match doc[i] {
            b'"' => b'"',
            b'>' => b'<',
            _ => {
                i += 1;
                continue;
            }
        };
        let s = i + 1;
        let mut j = s;
        while j < doc.len() && doc[j] != close {
            j += 1;
        }
        if j < doc.len() {
            runs.push((s, j));
        }
        i = j.max(s);
    }
    runs
}

/// Start tags: (start of `<`, end of the name, position of the closing `>`).
fn start_tags(doc: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut tags = Vec::new();
    let mut i = 0;
    while i < doc.len() {
        if doc[i] == b'<' && i + 1 < doc.len() && doc[i + 1].is_ascii_alphabetic() {
            let mut n = i + 1;
            while n < doc.len() && !matches!(doc[n], b' ' | b'>' | b'/' | b'\t' | b'\n' | b'\r') {
                n += 1;
            }
            let mut e = n;
            while e < doc.len() && doc[e] != b'>' {
                e += 1;
            }
            if e < doc.len() {
                tags.push((i, n, e));
            }
            i = e;
        } else {
            i += 1;
        }
    }
    tags
}

/// The span of the element starting at the tag `(s, n, e)`: to its matching `</name>` (first
/// one; good enough to cut out a plausible subtree), or the tag itself when self-closed or
/// unmatched.
fn element(doc: &[u8], (s, n, e): (usize, usize, usize)) -> (usize, usize) {
    if e > 0 && doc[e - 1] == b'/' {
        return (s, e + 1);
    }
    let mut close = b"</".to_vec();
    close.extend_from_slice(&doc[s + 1..n]);
    close.push(b'>');
    match doc[e..].windows(close.len()).position(|w| w == close) {
        Some(p) => (s, e + p + close.len()),
        None => (s, e + 1),
    }
}

fn splice(doc: &mut Vec<u8>, (s, e): (usize, usize), with: &[u8]) {
    doc.splice(s..e, with.iter().copied());
}

/// Applies one mutation (never panics, never grows past [`MAX_INPUT`]).
pub fn apply(doc: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::FlipByte { at, mask } => {
            if !doc.is_empty() {
                let i = at % doc.len();
                doc[i] ^= mask.max(&1);
            }
        }
        Mutation::Insert { at, bytes } => {
            let i = index(*at, doc.len());
            splice(doc, (i, i), bytes);
        }
        Mutation::InsertToken { at, token } => {
            let i = index(*at, doc.len());
            splice(doc, (i, i), TOKENS[token % TOKENS.len()]);
        }
        Mutation::Delete { at, len } => {
            let i = index(*at, doc.len());
            let e = (i + len).min(doc.len());
            doc.drain(i..e);
        }
        Mutation::Duplicate { from, len, to } => {
            let s = index(*from, doc.len());
            let e = (s + len).min(doc.len());
            let piece = doc[s..e].to_vec();
            let t = index(*to, doc.len());
            splice(doc, (t, t), &piece);
        }
        Mutation::Number { nth, number } => {
            let runs = digit_runs(doc);
            if !runs.is_empty() {
                let r = runs[nth % runs.len()];
                splice(doc, r, NUMBERS[number % NUMBERS.len()].as_bytes());
            }
        }
        Mutation::Text { nth, text } => {
            let runs = text_runs(doc);
            if !runs.is_empty() {
                let r = runs[nth % runs.len()];
                splice(doc, r, STRINGS[text % STRINGS.len()].as_bytes());
            }
        }
        Mutation::JsonValue { nth, value } => {
            if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(doc) {
                let mut n = *nth;
                edit_json(&mut v, &mut n, value);
                if let Ok(out) = serde_json::to_vec(&v) {
                    *doc = out;
                }
            }
        }
        Mutation::Attributes { nth, times } => {
            let tags = start_tags(doc);
            if !tags.is_empty() {
                let (_, n, e) = tags[nth % tags.len()];
                let end = if e > n && doc[e - 1] == b'/' {
                    e - 1
                } else {
                    e
                };
                let attrs = doc[n..end].to_vec();
                let attrs = if attrs.iter().all(u8::is_ascii_whitespace) {
                    b" a=\"1\"".to_vec()
                } else {
                    attrs
                };
                let budget = MAX_INPUT.saturating_sub(doc.len()) / attrs.len().max(1);
                let many = attrs.repeat((*times).min(budget));
                splice(doc, (end, end), &many);
            }
        }
        Mutation::Nest { nth, depth } => {
            let tags = start_tags(doc);
            if !tags.is_empty() {
                let t = tags[nth % tags.len()];
                let name = doc[t.0 + 1..t.1].to_vec();
                let (s, e) = element(doc, t);
                let depth =
                    (*depth).min(MAX_INPUT.saturating_sub(doc.len()) / (name.len() * 2 + 5));
                let mut open = Vec::new();
                let mut close = Vec::new();
                for _ in 0..depth {
                    open.push(b'<');
                    open.extend_from_slice(&name);
                    open.push(b'>');
                    close.extend_from_slice(b"</");
                    close.extend_from_slice(&name);
                    close.push(b'>');
                }
                splice(doc, (e, e), &close);
                splice(doc, (s, s), &open);
            }
        }
        Mutation::Repeat { nth, times } => {
            let tags = start_tags(doc);
            if !tags.is_empty() {
                let (s, e) = element(doc, tags[nth % tags.len()]);
                let piece = doc[s..e].to_vec();
                let budget = MAX_INPUT.saturating_sub(doc.len()) / piece.len().max(1);
                splice(doc, (e, e), &piece.repeat((*times).min(budget)));
            }
        }
    }
    doc.truncate(MAX_INPUT);
}

fn edit_json(v: &mut serde_json::Value, n: &mut usize, edit: &JsonEdit) -> bool {
    use serde_json::Value;
    if *n == 0 {
        *v = match edit {
            JsonEdit::Number(i) => {
                let t = NUMBERS[i % NUMBERS.len()];
                serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.to_owned()))
            }
            JsonEdit::String(i) => Value::String(STRINGS[i % STRINGS.len()].to_owned()),
            JsonEdit::Scalar(k) => match k % 4 {
                0 => Value::Null,
                1 => Value::Bool(true),
                2 => Value::Object(Default::default()),
                _ => Value::Array(Vec::new()),
            },
            JsonEdit::Nest(depth) => {
                let mut out = v.take();
                for _ in 0..(*depth).min(4096) {
                    out = Value::Array(vec![out]);
                }
                out
            }
            JsonEdit::Remove => Value::Null,
            JsonEdit::Repeat(times) => match v.take() {
                Value::Array(a) => {
                    let times = (*times).min(64);
                    let mut out = Vec::with_capacity(a.len() * times);
                    for _ in 0..times {
                        out.extend(a.iter().cloned());
                    }
                    Value::Array(out)
                }
                other => other,
            },
        };
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(a) => {
            for i in 0..a.len() {
                if *n == 0 && matches!(edit, JsonEdit::Remove) {
                    a.remove(i);
                    return true;
                }
                if edit_json(&mut a[i], n, edit) {
                    return true;
                }
            }
        }
        Value::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                if *n == 0 && matches!(edit, JsonEdit::Remove) {
                    o.remove(&k);
                    return true;
                }
                if let Some(child) = o.get_mut(&k)
                    && edit_json(child, n, edit)
                {
                    return true;
                }
            }
        }
        _ => {}
    }
    false
}

/// Strategy for one [`JsonEdit`].
pub fn json_value() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => any::<usize>().prop_map(JsonEdit::Number),
        3 => any::<usize>().prop_map(JsonEdit::String),
        2 => any::<u8>().prop_map(JsonEdit::Scalar),
        1 => prop_oneof![1usize..8, 100usize..3000].prop_map(JsonEdit::Nest),
        2 => Just(JsonEdit::Remove),
        1 => (2usize..64).prop_map(JsonEdit::Repeat),
    ]
}

/// Strategy for one [`Mutation`].
pub fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<usize>();
    prop_oneof![
        3 => (pos, any::<u8>()).prop_map(|(at, mask)| Mutation::FlipByte { at, mask }),
        1 => (pos, prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (pos, any::<usize>()).prop_map(|(at, token)| Mutation::InsertToken { at, token }),
        2 => (pos, 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (pos, 1usize..256, pos)
            .prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(nth, number)| Mutation::Number { nth, number }),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(nth, text)| Mutation::Text { nth, text }),
        4 => (any::<usize>(), json_value()).prop_map(|(nth, value)| Mutation::JsonValue { nth, value }),
        1 => (any::<usize>(), prop_oneof![1usize..4, 1000usize..20000])
            .prop_map(|(nth, times)| Mutation::Attributes { nth, times }),
        1 => (any::<usize>(), prop_oneof![1usize..4, 200usize..5000])
            .prop_map(|(nth, depth)| Mutation::Nest { nth, depth }),
        1 => (any::<usize>(), prop_oneof![1usize..4, 100usize..2000])
            .prop_map(|(nth, times)| Mutation::Repeat { nth, times }),
    ]
}

/// One case's input, kept as its recipe so proptest can shrink it.
#[derive(Debug, Clone)]
pub enum Input {
    /// Seed `seed` (index into the target's seeds) with `mutations` applied in order.
    Mutated {
        /// Index of the seed document.
        seed: usize,
        /// Edits applied in order.
        mutations: Vec<Mutation>,
    },
    /// Raw bytes.
    Raw(Vec<u8>),
}

impl Input {
    /// The bytes of this input (at most [`MAX_INPUT`]).
    pub fn bytes(&self, seeds: &[Vec<u8>]) -> Vec<u8> {
        match self {
            Input::Mutated { seed, mutations } => {
                let mut doc = if seeds.is_empty() {
                    Vec::new()
                } else {
                    seeds[seed % seeds.len()].clone()
                };
                for m in mutations {
                    apply(&mut doc, m);
                }
                doc.truncate(MAX_INPUT);
                doc
            }
            Input::Raw(b) => b.clone(),
        }
    }
}

/// Inputs: mostly mutated seeds (1 to 8 edits), some raw bytes.
pub fn inputs() -> impl Strategy<Value = Input> {
    prop_oneof![
        8 => (any::<usize>(), prop::collection::vec(mutation(), 1..8))
            .prop_map(|(seed, mutations)| Input::Mutated { seed, mutations }),
        1 => prop::collection::vec(any::<u8>(), 0..4096).prop_map(Input::Raw),
    ]
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Target name.
    pub target: String,
    /// Inputs run.
    pub cases: u32,
    /// Seed.
    pub seed: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Slowest single case.
    pub slowest: Duration,
    /// Inputs the target accepted (the rest were refused with an error naming what failed).
    pub accepted: u64,
    /// Largest input, bytes.
    pub largest: usize,
}

/// Runs `target` over [`cases`] inputs derived from `seeds`; panics (failing the test) on a
/// panic in the target or an error that does not name what failed, with the shrunk input.
/// `target` returns `Ok(true)` for accepted, `Ok(false)` for properly refused input.
pub fn run(
    name: &str,
    seeds: &[Vec<u8>],
    target: impl Fn(&[u8]) -> Result<bool, String>,
) -> Report {
    let cases = cases();
    let seed = seed();
    eprintln!(
        "fuzz {name}: {cases} cases, seed {seed} (replay: MLC_FUZZ_SEED={seed} MLC_FUZZ_CASES={cases})"
    );
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let current: Arc<Mutex<Vec<u8>>> = Arc::default();
    let done = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hang = std::env::var("MLC_FUZZ_HANG_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60u64);
    let watchdog = {
        let (current, done, finished, name) = (
            current.clone(),
            done.clone(),
            finished.clone(),
            name.to_owned(),
        );
        std::thread::spawn(move || {
            let mut last = (u64::MAX, Instant::now());
            let (start, mut reported) = (Instant::now(), Instant::now());
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let n = done.load(Ordering::Relaxed);
                // Progress of a long run, so that one stopped early still says what it did.
                if reported.elapsed() >= Duration::from_secs(60) {
                    reported = Instant::now();
                    eprintln!(
                        "fuzz {name}: {n} inputs after {:.0} s, no failure so far",
                        start.elapsed().as_secs_f64()
                    );
                }
                if n != last.0 {
                    last = (n, Instant::now());
                } else if last.1.elapsed() > Duration::from_secs(hang) {
                    let input = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = std::env::temp_dir().join(format!("mlc-fuzz-hang-{name}.bin"));
                    let _ = std::fs::write(&path, &input);
                    eprintln!(
                        "fuzz {name}: one case has run for more than {hang} s (a hang); input ({} bytes) saved to {}",
                        input.len(),
                        path.display()
                    );
                    std::process::abort();
                }
            }
        })
    };
    let stats = Mutex::new((Duration::ZERO, 0u64, 0usize));
    let start = Instant::now();
    let result = runner.run(&inputs(), |input| {
        let bytes = input.bytes(seeds);
        if let Ok(mut c) = current.lock() {
            c.clone_from(&bytes);
        }
        let t = Instant::now();
        let outcome = target(&bytes);
        let took = t.elapsed();
        done.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut s) = stats.lock() {
            s.0 = s.0.max(took);
            s.1 += u64::from(matches!(outcome, Ok(true)));
            s.2 = s.2.max(bytes.len());
        }
        match outcome {
            Ok(_) => Ok(()),
            Err(why) => Err(TestCaseError::fail(why)),
        }
    });
    finished.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    let elapsed = start.elapsed();
    if let Err(e) = result {
        match e {
            TestError::Fail(why, input) => {
                let bytes = input.bytes(seeds);
                panic!(
                    "fuzz {name} (seed {seed}): {why}\nminimal input: {input:?}\nas text: {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            TestError::Abort(why) => panic!("fuzz {name} (seed {seed}): aborted: {why}"),
        }
    }
    let (slowest, accepted, largest) = stats.into_inner().unwrap_or_default();
    let report = Report {
        target: name.to_owned(),
        cases,
        seed,
        elapsed,
        slowest,
        accepted,
        largest,
    };
    eprintln!(
        "fuzz {name}: {} inputs in {:.1} s, {} accepted, slowest case {:.1} ms, largest input {} bytes, no failure",
        report.cases,
        report.elapsed.as_secs_f64(),
        report.accepted,
        report.slowest.as_secs_f64() * 1000.0,
        report.largest
    );
    report
}

/// Reads the seed documents under `dir` whose name ends with `ext`.
pub fn seeds_in(dir: &std::path::Path, ext: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .map(|p| (p.to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out.into_iter().map(|(_, b)| b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_bounded_and_change_the_document() {
        let seed = br#"<a x="1"><b>12</b><c/></a>"#.to_vec();
        let mut d = seed.clone();
        apply(
            &mut d,
            &Mutation::Attributes {
                nth: 0,
                times: 1_000_000,
            },
        );
        assert!(d.len() <= MAX_INPUT && d.len() > seed.len());
        let mut d = seed.clone();
        apply(&mut d, &Mutation::Nest { nth: 1, depth: 3 });
        assert_eq!(
            String::from_utf8(d).unwrap(),
            "<a x=\"1\"><b><b><b><b>12</b></b></b></b><c/></a>"
        );
        let mut d = seed.clone();
        apply(&mut d, &Mutation::Number { nth: 1, number: 3 });
        assert_eq!(
            String::from_utf8(d).unwrap(),
            "<a x=\"1\"><b>1e999999</b><c/></a>"
        );
        let mut d = br#"{"a":[1,{"b":"x"}]}"#.to_vec();
        apply(
            &mut d,
            &Mutation::JsonValue {
                nth: 4,
                value: JsonEdit::String(0),
            },
        );
        assert_eq!(String::from_utf8(d).unwrap(), r#"{"a":[1,{"b":""}]}"#);
    }

    #[test]
    fn a_panicking_target_fails_the_run() {
        let r = std::panic::catch_unwind(|| {
            run("selftest", &[b"123".to_vec()], |b| {
                assert!(b.len() < 2, "boom");
                Ok(true)
            })
        });
        assert!(r.is_err());
    }
}
