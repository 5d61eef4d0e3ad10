//! Workspace automation: `cargo xtask <task>`.
//!
//! - `cargo xtask demo`  builds and starts the demo server on a SQLite file.
//! - `cargo xtask test`  runs the whole test suite (formatting, lints, unit, integration on
//!   SQLite and PostgreSQL), starting the local PostgreSQL server when it is down.
//! - `cargo xtask schema` regenerates `docs/schema.graphql`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    // The checkout this run belongs to: `cargo run` sets CARGO_MANIFEST_DIR at run time. The
    // compile-time value would point at whichever clone first built this binary into a shared
    // CARGO_TARGET_DIR (cargo reuses the binary across clones).
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..");
    std::env::set_current_dir(&root).context("cannot enter the workspace root")?;
    match task.as_str() {
        "demo" => demo(),
        "test" => test(),
        "schema" => schema(),
        _ => {
            eprintln!("usage: cargo xtask <demo|test|schema>");
            bail!("unknown task {task:?}")
        }
    }
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The WebAssembly target plug-ins are built for.
fn ensure_wasm_target() -> anyhow::Result<()> {
    run(Command::new("rustup").args(["target", "add", "wasm32-wasip2"]))
}

/// Where plug-in components are built: a target directory of their own (as the test
/// harness does), so their build never waits for the host's.
fn plugin_target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    base.join("siso-plugins")
}

/// The administrations' plug-ins the demo installs: (crate directory, crate name).
const DEMO_PLUGINS: [(&str, &str); 4] = [
    ("plugins/umbria", "siso-plugin-umbria"),
    ("plugins/rete-comuni", "siso-plugin-rete-comuni"),
    ("plugins/lazio", "siso-plugin-lazio"),
    ("plugins/compartecipazione", "siso-plugin-compartecipazione"),
];

/// Builds the demo's plug-ins for wasm32-wasip2 (one cargo run) and returns the `--plugin`
/// arguments of `siso demo` (`MANIFEST=COMPONENT`).
fn build_demo_plugins() -> anyhow::Result<Vec<String>> {
    let target = plugin_target_dir();
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--target", "wasm32-wasip2"]);
    for (_, name) in DEMO_PLUGINS {
        cmd.args(["-p", name]);
    }
    run(cmd
        .arg("--target-dir")
        .arg(&target)
        .args(["--config", "profile.release.debug=false", "--config", "profile.release.strip=\"debuginfo\""])
        .args(["--config", "profile.release.lto=true", "--config", "profile.release.codegen-units=1"]))?;
    Ok(DEMO_PLUGINS
        .iter()
        .map(|(dir, name)| {
            let wasm = target.join("wasm32-wasip2/release").join(format!("{}.wasm", name.replace('-', "_")));
            format!("{dir}/siso-plugin.toml={}", wasm.display())
        })
        .collect())
}

fn demo() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    let plugins = build_demo_plugins()?;
    run(cargo().args(["build", "--release", "-p", "siso"]))?;
    let listen = std::env::var("SISO__SERVER__LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    eprintln!("xtask: demo server on http://{listen}/graphql (GraphiQL), data in data/demo.db");
    let mut cmd = cargo();
    cmd.args(["run", "--release", "-p", "siso", "--", "demo"]);
    for p in &plugins {
        cmd.arg("--plugin").arg(p);
    }
    run(cmd.env("SISO__DATABASE__URL", "sqlite://data/demo.db"))
}

fn test() -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_postgres()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["test", "--workspace", "--no-fail-fast"]))
}

fn schema() -> anyhow::Result<()> {
    let out = cargo().args(["run", "-q", "-p", "siso", "--", "export-schema"]).output().context("cannot run siso")?;
    if !out.status.success() {
        bail!("siso export-schema failed");
    }
    std::fs::write("docs/schema.graphql", out.stdout).context("cannot write docs/schema.graphql")
}

/// Makes sure the local PostgreSQL answers on 127.0.0.1:5432, starting the cluster if needed.
fn ensure_postgres() -> anyhow::Result<()> {
    if std::env::var("SISO_TEST_PG_URL").is_ok() {
        return Ok(());
    }
    if pg_ready() {
        return Ok(());
    }
    let versions =
        std::fs::read_dir("/etc/postgresql").context("PostgreSQL is not installed (/etc/postgresql missing)")?;
    for v in versions.flatten() {
        let version = v.file_name().to_string_lossy().to_string();
        eprintln!("xtask: starting PostgreSQL {version}");
        let _ = Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", &version, "main", "start"]).status();
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if pg_ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    bail!("PostgreSQL did not become ready on 127.0.0.1:5432")
}

fn pg_ready() -> bool {
    Command::new("pg_isready")
        .args(["-h", "127.0.0.1", "-p", "5432", "-q"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
