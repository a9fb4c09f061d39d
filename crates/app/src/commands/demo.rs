//! `demo`: the whole product in one command, with nothing to set up.
//!
//! 1. Prepares `--dir` (see [`prepare_dir`]: only ever wipes what an earlier demo wrote there).
//! 2. Starts both simulators on loopback with generated data ([`simulators::start`]).
//! 3. Writes a real config, a fresh master key file and a vault holding both credential sets,
//!    then loads that config through [`config::load`], so the demo runs the same path as an
//!    installation does.
//! 4. Runs the first full cycle with progress bars; lets the JAGGAER suppliers issue invoices
//!    (they can only be coded against the suppliers and accounts the first cycle pushed) and
//!    syncs those into JDE's voucher Z files; runs JDE's batch voucher processor; lets both
//!    businesses move on; runs a second, incremental cycle.
//! 5. Prints a summary (both cycles, what landed in each system, the quarantine) and the exact
//!    commands to look further.
//!
//! With `--keep-running` the service then runs on the demo config (scheduler, console,
//! /metrics) next to the simulators, which keep doing business until Ctrl-C.
use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mlc_core::ids::TenantId;
use mlc_core::record::{Entity, RecordKey, RecordKind};
use mlc_engine::summary::{EntityCounts, RunSummary, SummaryStatus, TenantSummary};
use mlc_store::{LedgerStatus, StateStore};
use mlc_vault::{CredentialSet, MASTER_KEY_ENV, MasterKey, System, Vault};

use crate::cli::{DemoArgs, DemoSize, GlobalArgs};
use crate::commands::{run as service, sim, sync};
use crate::config;
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, open_store};
use crate::simulators::{self, FaultProfile, Sims};
use crate::wiring::{self, TenantRuntime};

/// The demo's tenant.
const TENANT: &str = "demo";
/// Marks a directory as the demo's own: only then are files in it replaced.
const MARKER: &str = ".ml-connector-demo";
const CONFIG_FILE: &str = "ml-connector.toml";
const DB_FILE: &str = "ml-connector.db";
const VAULT_FILE: &str = "ml-connector.vault";
const KEY_FILE: &str = "master.key";
/// Every file the demo may leave in its directory (SQLite's WAL files included).
const OWNED: [&str; 7] = [
    MARKER,
    CONFIG_FILE,
    DB_FILE,
    "ml-connector.db-wal",
    "ml-connector.db-shm",
    VAULT_FILE,
    KEY_FILE,
];
/// Prefix of the vault's temporary file (left behind only if a write was interrupted).
const VAULT_TMP_PREFIX: &str = ".mlc-vault-";
/// Lets the simulated JDE clock pass the second in which the changes were stamped.
const CLOCK_TICK: Duration = Duration::from_millis(1100);

/// Runs `demo`.
pub(crate) fn run(_global: &GlobalArgs, args: &DemoArgs) -> AppResult {
    let dir = prepare_dir(&args.dir)?;
    block_on(demo(args, dir))?
}

/// How much the simulated businesses do between the cycles, by data size.
struct Activity {
    /// Invoices the suppliers issue after the first cycle.
    first_invoices: usize,
    /// New POs, changed POs, received lines and new invoices before the second cycle.
    changes: usize,
}

impl Activity {
    fn of(size: DemoSize) -> Self {
        match size {
            DemoSize::Small => Self {
                first_invoices: 10,
                changes: 3,
            },
            DemoSize::Medium => Self {
                first_invoices: 40,
                changes: 10,
            },
            DemoSize::Large => Self {
                first_invoices: 150,
                changes: 30,
            },
        }
    }
}

/// One sync run of the demo, for the final summary.
struct Step {
    label: &'static str,
    summary: TenantSummary,
}

async fn demo(args: &DemoArgs, dir: PathBuf) -> AppResult {
    let shown_dir = args.dir.clone();
    let config_path = shown_dir.join(CONFIG_FILE);
    let size = size_name(args.size);
    println!(
        "ml-connector demo: seed {}, size {size}, files in {}\n",
        args.seed,
        shown_dir.display()
    );

    // The console's address first, so a port in use fails before any work (and port 0 is
    // resolved to the port actually taken).
    let (listener, listen) = if args.keep_running {
        let listener = service::bind(args.listen).await?;
        let addr = listener
            .local_addr()
            .context("cannot read the console's address")
            .map_err(AppError::failure)?;
        (Some(listener), addr)
    } else {
        (None, args.listen)
    };

    // The simulators.
    let sims = simulators::start(args.seed, args.size, FaultProfile::None, None, None).await?;
    println!(
        "Started the JD Edwards AIS simulator at {} (time zone America/Chicago)",
        sims.jde.base_url()
    );
    println!(
        "Started the JAGGAER simulator at {}",
        sims.jaggaer.base_url()
    );

    // Config, key file and vault: the same files an installation has.
    write_key(&dir.join(KEY_FILE))?;
    write_private(&dir.join(CONFIG_FILE), config_text(&dir, listen).as_bytes())
        .with_context(|| format!("cannot write {}", config_path.display()))
        .map_err(AppError::failure)?;
    let settings = config::load(&dir.join(CONFIG_FILE))?;
    let key_file = settings
        .vault
        .key_file
        .clone()
        .ok_or_else(|| AppError::failure(anyhow!("the demo config names no key file")))?;
    let mut vault = Vault::open(&settings.vault.path, MasterKey::from_file(&key_file)?)?;
    let tenant = TenantId::parse(TENANT).map_err(AppError::failure)?;
    for (system, creds) in [
        (System::Jde, sims.jde_credentials()),
        (System::Jaggaer, sims.jaggaer_credentials()),
    ] {
        vault.set(
            &tenant,
            CredentialSet::from_json(system, &creds.to_string())?,
        );
    }
    vault.save()?;
    println!(
        "Wrote {} (tenant \"{TENANT}\", company 00200), the vault {} with both credential sets, \
         and its master key file {} (mode 0600)\n",
        config_path.display(),
        shown_dir.join(VAULT_FILE).display(),
        shown_dir.join(KEY_FILE).display(),
    );

    let store = open_store(&settings).await?;
    let mut tenants = wiring::build_tenants_with_vault(&settings, store.clone(), TENANT, &vault)?;
    let mut rt = tenants
        .pop()
        .ok_or_else(|| AppError::failure(anyhow!("the demo config has no tenant {TENANT}")))?;
    drop(vault);

    let tty = std::io::stdout().is_terminal();
    let progress = Arc::new(Progress::new(tty));
    {
        let p = progress.clone();
        rt.engine.progress = Some(Arc::new(move |entity, counts: &EntityCounts| {
            p.update(entity, counts)
        }));
    }
    let activity = Activity::of(args.size);
    let mut steps = Vec::new();

    // 1. The first full sync.
    heading(
        1,
        "First full sync: suppliers, GL accounts and cost centers, purchase orders, invoices",
    );
    let ok = cycle(&rt, &progress, Entity::ALL.to_vec(), "1 full", &mut steps).await?;
    if !ok {
        return failed(&steps);
    }

    // 2. Invoices appear in JAGGAER, coded against what the first cycle pushed.
    let ids = sims.jaggaer.generate_invoices(activity.first_invoices);
    let generated = ids.len();
    // One buyer mistypes an account: the invoice must stop in quarantine, not reach JDE.
    let miscoded = ids.first().copied().filter(|id| {
        sims.jaggaer
            .edit_invoice(*id, |doc| miscode(doc, MISTYPED_OBJECT))
    });
    let approved = sims.jaggaer.approve_pending().len();
    heading(
        2,
        &format!(
            "Suppliers send {generated} invoices in JAGGAER and AP approves {approved} pending \
             ones; the connector writes them to JDE's voucher batch files{}",
            miscoded
                .map(|id| format!(
                    " (a buyer coded invoice {id} to object account {MISTYPED_OBJECT}, which \
                     JDE does not have)"
                ))
                .unwrap_or_default()
        ),
    );
    let ok = cycle(
        &rt,
        &progress,
        vec![Entity::Invoices],
        "1b invoices",
        &mut steps,
    )
    .await?;
    if !ok {
        return failed(&steps);
    }

    // 3. JDE's batch voucher processor.
    let report = sims.jde.process_vouchers();
    heading(
        3,
        &format!(
            "JDE runs its batch voucher processor (R04110ZA): {} voucher(s) created, {} rejected",
            report.created.len(),
            report.rejected.len()
        ),
    );
    for (edtn, error) in &report.rejected {
        println!("  rejected {edtn}: {error}");
    }
    println!();

    // 4. Both businesses move on.
    let n = activity.changes;
    let added = sims.jde.add_pos(n).len();
    let changed = sims.jde.change_pos(n);
    let received = sims.jde.receive_lines(n).len();
    let suppliers = sims.jde.add_suppliers(2).len();
    let invoices = sims.jaggaer.generate_invoices(n).len();
    heading(
        4,
        &format!(
            "The businesses move on: in JDE {added} new POs, {} changed POs, {received} PO lines \
             received, {suppliers} new suppliers; in JAGGAER {invoices} new invoices (not yet \
             approved)",
            changed.len()
        ),
    );
    println!();
    // JDE stamps have whole seconds and a poll reads only rows stamped before the current
    // second (a row stamped "now" may still be in the middle of being written). The demo runs
    // faster than that, so give the JDE clock a moment to move past the changes.
    tokio::time::sleep(CLOCK_TICK).await;

    // 5. The incremental cycle.
    heading(
        5,
        "Second cycle, incremental: only what changed since the first is read",
    );
    let ok = cycle(
        &rt,
        &progress,
        Entity::ALL.to_vec(),
        "2 incremental",
        &mut steps,
    )
    .await?;

    // The summary.
    println!("Summary\n");
    println!("{}\n", steps_table(&steps));
    print_systems(&sims);
    print_ledger(store.as_ref(), &tenant).await?;
    print_quarantine(store.as_ref(), &tenant).await?;
    let po_key = changed
        .iter()
        .map(|k| format!("{}-{}-{}", k.kcoo, k.dcto, k.doco))
        .map(|k| RecordKey::new(RecordKind::Po, &tenant, k))
        .collect::<Vec<_>>();
    let examples = examples(store.as_ref(), &tenant, &po_key).await?;
    print_next(&config_path, &examples, args.keep_running, listen);
    if !ok {
        return failed(&steps);
    }

    if let Some(listener) = listener {
        rt.engine.progress = None;
        keep_running(settings, store, rt, sims, listener).await?;
    } else {
        sims.jde.shutdown().await;
        sims.jaggaer.shutdown().await;
    }
    Ok(())
}

fn heading(n: u32, text: &str) {
    println!("[{n}/5] {text}");
}

/// Runs one cycle with progress, prints its table; `false` when it failed.
async fn cycle(
    rt: &TenantRuntime,
    progress: &Progress,
    entities: Vec<Entity>,
    label: &'static str,
    steps: &mut Vec<Step>,
) -> AppResult<bool> {
    progress.start();
    let result = sync::sync_tenant(rt, entities, "demo").await;
    progress.finish();
    let summary = result?;
    print!("{}", sync::render(&RunSummary::new(vec![summary.clone()])));
    println!();
    let ok = summary.status != SummaryStatus::Failed;
    steps.push(Step { label, summary });
    Ok(ok)
}

fn failed(steps: &[Step]) -> AppResult {
    let error = steps
        .last()
        .and_then(|s| s.summary.error.clone())
        .unwrap_or_else(|| "unknown error".to_owned());
    let label = steps.last().map(|s| s.label).unwrap_or("?");
    Err(AppError::failure(anyhow!(
        "the demo's sync run \"{label}\" failed: {error}"
    )))
}

fn size_name(size: DemoSize) -> &'static str {
    match size {
        DemoSize::Small => "small",
        DemoSize::Medium => "medium",
        DemoSize::Large => "large",
    }
}

// ---- the directory -------------------------------------------------------------------------

/// Creates `dir`, or clears what an earlier demo left in it. Returns its absolute path.
///
/// A directory is the demo's when it holds the [`MARKER`] file and nothing but [`OWNED`]
/// files; a directory that does not qualify is refused rather than cleaned, so pointing
/// `--dir` at the wrong place never deletes anyone's work. An empty directory is adopted.
fn prepare_dir(dir: &Path) -> AppResult<PathBuf> {
    let io = |what: String| move |e: std::io::Error| AppError::failure(anyhow!(e).context(what));
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(AppError::usage(anyhow!(
                "--dir {} exists and is not a directory; pick another --dir",
                dir.display()
            )));
        }
        Ok(_) => {
            let mut names = Vec::new();
            for entry in
                std::fs::read_dir(dir).map_err(io(format!("cannot read {}", dir.display())))?
            {
                let entry = entry.map_err(io(format!("cannot read {}", dir.display())))?;
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            let foreign: Vec<&String> = names
                .iter()
                .filter(|n| !OWNED.contains(&n.as_str()) && !n.starts_with(VAULT_TMP_PREFIX))
                .collect();
            if !names.is_empty() && !names.iter().any(|n| n == MARKER) {
                return Err(AppError::usage(anyhow!(
                    "--dir {} already exists and was not created by `ml-connector demo`; the demo \
                     will not write into it. Pick another --dir, or empty it first",
                    dir.display()
                )));
            }
            if !foreign.is_empty() {
                let list: Vec<&str> = foreign.iter().map(|s| s.as_str()).collect();
                return Err(AppError::usage(anyhow!(
                    "--dir {} holds files the demo did not create ({}); the demo will not clear \
                     it. Move them away or pick another --dir",
                    dir.display(),
                    list.join(", ")
                )));
            }
            for name in names.iter().filter(|n| n.as_str() != MARKER) {
                let path = dir.join(name);
                std::fs::remove_file(&path).map_err(io(format!(
                    "cannot remove {} of an earlier demo",
                    path.display()
                )))?;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                builder.mode(0o700);
            }
            builder
                .create(dir)
                .map_err(io(format!("cannot create {}", dir.display())))?;
        }
        Err(e) => return Err(io(format!("cannot read {}", dir.display()))(e)),
    }
    std::fs::write(
        dir.join(MARKER),
        "Written by `ml-connector demo`: the demo may replace the files it created here.\n",
    )
    .map_err(io(format!("cannot write into {}", dir.display())))?;
    std::fs::canonicalize(dir).map_err(io(format!("cannot resolve {}", dir.display())))
}

/// Writes a file readable by its owner only (0600), replacing an earlier one.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)
}

/// A fresh master key, readable only by the user (as `credentials new-key` would hand out).
fn write_key(path: &Path) -> AppResult {
    let key = MasterKey::generate()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
        .map_err(AppError::failure)?;
    file.write_all(key.to_base64().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(AppError::failure)
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The demo's config: one tenant against the simulators. Paths are absolute, so the file works
/// from any working directory.
fn config_text(dir: &Path, listen: std::net::SocketAddr) -> String {
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let mut companies = String::new();
    // Each company's vouchers are coded to its own balance-sheet BU (100, 200, 300, 400 in the
    // simulator's chart); without these, invoices of other companies would be quarantined for
    // distributing across companies.
    for (co, bu) in [
        ("00100", 100),
        ("00200", 200),
        ("00300", 300),
        ("00400", 400),
    ] {
        companies.push_str(&format!(
            "\n[tenants.mapping.companies.\"{co}\"]\n\
             tax_account = \"{bu}.2310\"\n\
             charge_accounts = {{ freight = \"{bu}.6210\", handling = \"{bu}.6210\", misc = \
             \"{bu}.6290\", discount = \"{bu}.6295\" }}\n"
        ));
    }
    format!(
        r#"# Written by `ml-connector demo`: one tenant against the two simulators. The demo
# replaces this file on its next run. See `ml-connector init` for every key.

[store]
url = {store}

[vault]
path = {vault}
key_file = {key}

[server]
listen = "{listen}"

[[tenants]]
id = "{TENANT}"
poll_interval = "1m"
jde_timezone = "America/Chicago"

[tenants.jde]
company = "00200"

[tenants.jaggaer]
transport = "rest"
# The simulator is on loopback; a real JAGGAER tenant gets the default (10).
rate_limit = 200

[tenants.mapping]
tax_account = "200.2310"
charge_accounts = {{ freight = "200.6210", handling = "200.6210", misc = "200.6290", discount = "200.6295" }}
{companies}
[tenants.sync]
# The simulator writes every change in one step, so nothing is read half-written and the
# demo's second cycle sees changes made a moment earlier. Keep the default (2m) for a real JDE.
safety_lag = "0s"
"#,
        store = quoted(&format!("sqlite://{}", file(DB_FILE))),
        vault = quoted(&file(VAULT_FILE)),
        key = quoted(&file(KEY_FILE)),
    )
}

// ---- progress ------------------------------------------------------------------------------

/// Progress of a cycle: a spinner per entity on a terminal, one line per finished entity
/// otherwise (CI logs).
struct Progress {
    tty: bool,
    state: Mutex<ProgressState>,
}

#[derive(Default)]
struct ProgressState {
    multi: Option<MultiProgress>,
    bars: BTreeMap<Entity, ProgressBar>,
    /// The entity being synced, since when, and its counts so far.
    current: Option<(Entity, Instant, EntityCounts)>,
}

impl Progress {
    fn new(tty: bool) -> Self {
        Self {
            tty,
            state: Mutex::new(ProgressState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn start(&self) {
        let mut s = self.lock();
        *s = ProgressState::default();
        if self.tty {
            s.multi = Some(MultiProgress::with_draw_target(ProgressDrawTarget::stdout()));
        }
    }

    /// The engine's callback: after each commit, the counts of `entity` so far.
    fn update(&self, entity: Entity, counts: &EntityCounts) {
        let mut s = self.lock();
        if s.current.as_ref().is_some_and(|(e, _, _)| *e != entity) {
            self.done(&mut s);
        }
        let started = match &s.current {
            Some((_, t, _)) => *t,
            None => Instant::now(),
        };
        s.current = Some((entity, started, *counts));
        if let Some(multi) = s.multi.clone() {
            let bar = s.bars.entry(entity).or_insert_with(|| {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner:.cyan} {prefix:<16} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(entity.as_str());
                bar.enable_steady_tick(Duration::from_millis(100));
                bar
            });
            bar.set_message(counts_text(counts));
        }
    }

    /// The current entity is done.
    fn done(&self, s: &mut ProgressState) {
        let Some((entity, started, counts)) = s.current.take() else {
            return;
        };
        let text = format!(
            "{} in {:.1} s",
            counts_text(&counts),
            started.elapsed().as_secs_f64()
        );
        match s.bars.get(&entity) {
            Some(bar) => {
                bar.set_style(
                    ProgressStyle::with_template("  ✔ {prefix:<16} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.finish_with_message(text);
            }
            None => println!("  {:<16} {text}", entity.as_str()),
        }
    }

    /// The cycle ended: the bars make room for the cycle's table.
    fn finish(&self) {
        let mut s = self.lock();
        self.done(&mut s);
        if let Some(multi) = s.multi.take() {
            for bar in s.bars.values() {
                bar.finish_and_clear();
            }
            let _ = multi.clear();
        }
        s.bars.clear();
    }
}

fn counts_text(c: &EntityCounts) -> String {
    let mut text = format!(
        "read {} · created {} · updated {} · unchanged {} · quarantined {}",
        c.read, c.created, c.updated, c.unchanged, c.quarantined
    );
    if c.waiting > 0 {
        text.push_str(&format!(" · waiting {}", c.waiting));
    }
    text
}

// ---- the summary ---------------------------------------------------------------------------

/// Every run side by side, one row per entity and run.
fn steps_table(steps: &[Step]) -> Table {
    use crate::commands::sync::{COUNT_HEADERS, count_cells};
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["cycle", "entity"].into_iter().chain(COUNT_HEADERS));
    for step in steps {
        for entity in Entity::ALL {
            if let Some(c) = step.summary.entities.get(entity.as_str()) {
                table.add_row(
                    [step.label.to_owned(), entity.as_str().to_owned()]
                        .into_iter()
                        .chain(count_cells(c)),
                );
            }
        }
    }
    table
}

/// What landed in the two systems.
fn print_systems(sims: &Sims) {
    let c = sims.jaggaer.counts();
    println!(
        "In JAGGAER: {} supplier profiles, {} purchase orders, {} Account/CostCenter values, {} \
         invoices.",
        c.suppliers, c.purchase_orders, c.custom_field_values, c.invoices
    );
    let vouchers = sims.jde.vouchers();
    let processed = vouchers.iter().filter(|v| v.doc.is_some()).count();
    let rejected = vouchers.iter().filter(|v| v.error.is_some()).count();
    let mut batches: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &vouchers {
        *batches.entry(v.edbt.as_str()).or_default() += 1;
    }
    let batches: Vec<String> = batches.iter().map(|(b, n)| format!("{b} ({n})")).collect();
    println!(
        "In JDE: {} vouchers in the Z files ({processed} processed into F0411, {rejected} \
         rejected, {} waiting for the next R04110ZA run), batches {}.",
        vouchers.len(),
        vouchers.len() - processed - rejected,
        if batches.is_empty() {
            "none".to_owned()
        } else {
            batches.join(", ")
        }
    );
    if vouchers.is_empty() {
        println!();
        return;
    }
    const SHOWN: usize = 10;
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "batch (EDBT)",
        "transaction (EDTN)",
        "supplier",
        "invoice",
        "gross",
        "in JDE",
    ]);
    for v in vouchers.iter().take(SHOWN) {
        let state = match (&v.doc, &v.error) {
            (Some(doc), _) => format!(
                "voucher {} {doc}{}",
                v.dct.as_deref().unwrap_or("PV"),
                v.icu.map(|b| format!(", batch {b}")).unwrap_or_default()
            ),
            (None, Some(e)) => format!("rejected: {e}"),
            (None, None) => "waiting for R04110ZA".to_owned(),
        };
        table.add_row(vec![
            v.edbt.clone(),
            v.edtn.clone(),
            v.an8.to_string(),
            v.vinv.clone(),
            format!("{} {}", v.gross, v.currency),
            state,
        ]);
    }
    println!("{table}");
    if vouchers.len() > SHOWN {
        println!("  ... and {} more.", vouchers.len() - SHOWN);
    }
    println!();
}

/// Where the invoices stand in the connector's own ledger (the second cycle read back the
/// vouchers JDE processed).
async fn print_ledger(store: &dyn StateStore, tenant: &TenantId) -> AppResult {
    let mut n = BTreeMap::new();
    for l in store
        .ledger_by_status(tenant, RecordKind::Invoice, None)
        .await?
    {
        *n.entry(l.status.as_str()).or_insert(0usize) += 1;
    }
    let get = |s: LedgerStatus| n.get(s.as_str()).copied().unwrap_or(0);
    println!(
        "In the connector's ledger, invoices: {} processed by JDE (voucher numbers read back), {} \
         posted and waiting for R04110ZA, {} waiting for approval in JAGGAER.\n",
        get(LedgerStatus::Processed),
        get(LedgerStatus::Posted),
        get(LedgerStatus::Waiting),
    );
    Ok(())
}

/// The open quarantine, and what it means.
async fn print_quarantine(store: &dyn StateStore, tenant: &TenantId) -> AppResult {
    let open = store.quarantine_list(Some(tenant), true).await?;
    if open.is_empty() {
        println!("Quarantine: empty. Every record read was synced or is waiting on purpose.\n");
        return Ok(());
    }
    println!(
        "Quarantine: {} open record(s). A record that cannot be synced as it is (bad coding, a\n\
         rejection by the other system) is held in the quarantine with its reason instead of\n\
         stopping the cycle; everything else still syncs. Fix the cause at the source, then\n\
         `quarantine retry ID` reads the record afresh and sends it again (`quarantine discard\n\
         ID --reason ...` closes it). Here a buyer mistyped an account in JAGGAER; once it is\n\
         recoded there, a retry posts the voucher:",
        open.len()
    );
    for q in open.iter().take(5) {
        let record = q.entry.record.to_string();
        // Reasons name their record first; it is already in front.
        let reason = q.entry.reason.as_str();
        let reason = reason
            .strip_prefix(record.as_str())
            .map(|r| r.trim_start_matches([':', ' ']))
            .unwrap_or(reason);
        println!(
            "  #{} {record} [{}] {}",
            q.id,
            q.entry.reason_kind,
            shorten(reason, 120)
        );
    }
    if open.len() > 5 {
        println!("  ... and {} more.", open.len() - 5);
    }
    println!();
    Ok(())
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// Real records of this run to show with `audit`, and a quarantine entry.
struct Examples {
    po: Option<String>,
    invoice: Option<String>,
    quarantine: Option<i64>,
}

async fn examples(
    store: &dyn StateStore,
    tenant: &TenantId,
    changed_pos: &[RecordKey],
) -> AppResult<Examples> {
    // A PO the second cycle updated has the longer story (created, then updated).
    let mut po = None;
    for key in changed_pos {
        if store.ledger(key).await?.is_some() {
            po = Some(key.to_string());
            break;
        }
    }
    if po.is_none() {
        po = store
            .ledger_by_status(tenant, RecordKind::Po, Some(LedgerStatus::Synced))
            .await?
            .first()
            .map(|l| l.record.to_string());
    }
    // An invoice that went all the way: voucher written, processed by JDE, read back.
    let mut invoice = None;
    for status in [LedgerStatus::Processed, LedgerStatus::Posted] {
        if let Some(l) = store
            .ledger_by_status(tenant, RecordKind::Invoice, Some(status))
            .await?
            .first()
        {
            invoice = Some(l.record.to_string());
            break;
        }
    }
    let quarantine = store
        .quarantine_list(Some(tenant), true)
        .await?
        .first()
        .map(|q| q.id);
    Ok(Examples {
        po,
        invoice,
        quarantine,
    })
}

/// Quotes a path for a POSIX shell when it needs it.
fn shell(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./:=@,+".contains(c));
    if plain && !text.is_empty() {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn print_next(config_path: &Path, ex: &Examples, keep_running: bool, listen: std::net::SocketAddr) {
    let cfg = format!("--config {}", shell(&config_path.to_string_lossy()));
    let cmd = |rest: &str| format!("  ml-connector {rest} {cfg}");
    println!("Where to look next (the store and vault stay in the demo directory):");
    println!("{}", cmd("status"));
    if let Some(po) = &ex.po {
        println!("{}", cmd(&format!("audit {po}")));
    }
    if let Some(inv) = &ex.invoice {
        println!("{}", cmd(&format!("audit {inv}")));
    }
    println!("{}", cmd("quarantine list"));
    if let Some(id) = ex.quarantine {
        println!("{}", cmd(&format!("quarantine show {id}")));
    }
    if keep_running {
        println!("While this demo keeps running (commands that talk to the simulators):");
    } else {
        println!(
            "The simulators stop when the demo exits, so commands that talk to the systems work\n\
             only while `ml-connector demo --keep-running` is up (it also serves the console at\n\
             http://{listen}/ and /metrics):"
        );
    }
    println!("{}", cmd("reconcile"));
    println!("{}", cmd("sync"));
    println!("{}", cmd("ping"));
    if let Some(id) = ex.quarantine {
        println!("{}", cmd(&format!("quarantine retry {id}")));
    }
    if !keep_running {
        println!("  ml-connector demo --keep-running");
    }
    if std::env::var_os(MASTER_KEY_ENV).is_some_and(|v| !v.is_empty()) {
        println!(
            "Note: {MASTER_KEY_ENV} is set in this environment and takes precedence over the \
             demo's key file; unset it for commands that open the demo's vault (sync, \
             reconcile, ping, quarantine retry)."
        );
    }
    println!();
}

// ---- --keep-running ------------------------------------------------------------------------

/// The service on the demo config next to the simulators, which keep doing business, until
/// Ctrl-C.
async fn keep_running(
    settings: config::Settings,
    store: Arc<dyn StateStore>,
    rt: TenantRuntime,
    sims: Sims,
    listener: tokio::net::TcpListener,
) -> AppResult {
    let listen = settings.server.listen;
    let password = demo_admin(&*store).await?;
    println!("Keeping everything running until Ctrl-C:");
    println!("  console             http://{listen}/   (Prometheus metrics at /metrics)");
    println!(
        "    sign in as        admin / {password}   (one-time password: a new one each start)"
    );
    println!("  JDE AIS simulator   {}", sims.jde.base_url());
    println!("  JAGGAER simulator   {}", sims.jaggaer.base_url());
    println!(
        "The tenant syncs every minute; every {} s new and changed POs appear in JDE, invoices \
         in JAGGAER, and JDE's voucher processor runs. The demo logs errors only; start it \
         with -v to see the service's log.\n",
        sim::ACTIVITY.as_secs()
    );
    let _ = std::io::stdout().flush();
    let sims = Arc::new(sims);
    let activity = {
        let sims = sims.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(sim::ACTIVITY);
            tick.tick().await;
            loop {
                tick.tick().await;
                sim::activity(&sims);
            }
        })
    };
    let result =
        service::serve_tenants(settings, store, vec![rt], listener, service::LEASE_TTL).await;
    activity.abort();
    println!("Demo stopped.");
    result
}

/// Makes (or resets) the console user `admin` with a new random password and returns it: the
/// demo prints it once, and the store keeps only its argon2 hash.
async fn demo_admin(store: &dyn StateStore) -> AppResult<String> {
    use rand::Rng as _;
    let password: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    let hash = crate::server::console::auth::hash_password(&password).map_err(AppError::failure)?;
    if !store
        .user_add("admin", mlc_store::Role::Admin, &hash)
        .await?
    {
        store.user_set_password("admin", &hash).await?;
        store.user_set_role("admin", mlc_store::Role::Admin).await?;
    }
    Ok(password)
}

/// The object account a buyer mistypes: no business unit has it in the simulated chart.
const MISTYPED_OBJECT: &str = "6999";

/// Replaces the object of every `Account` custom-field value of an invoice (header, lines,
/// splits) with `object`, keeping its business unit: `200.6110` becomes `200.6999`.
fn miscode(v: &mut serde_json::Value, object: &str) {
    let retype = |x: &mut serde_json::Value| {
        if let Some(text) = x.as_str() {
            let bu = text.split('.').next().unwrap_or_default().to_owned();
            *x = serde_json::Value::String(format!("{bu}.{object}"));
        }
    };
    match v {
        serde_json::Value::Object(m) => {
            if m.get("name").and_then(|n| n.as_str()) == Some("Account")
                && let Some(list) = m
                    .get_mut("customFieldValueList")
                    .and_then(|l| l.get_mut("customFieldValue"))
                    .and_then(|l| l.as_array_mut())
            {
                for item in list {
                    retype(&mut item["value"]);
                }
            }
            if m.get("internalName").and_then(|n| n.as_str()) == Some("Account")
                && let Some(x) = m.get_mut("value")
            {
                retype(x);
            }
            for (_, child) in m.iter_mut() {
                miscode(child, object);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|c| miscode(c, object)),
        _ => {}
    }
}
