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
    supply_chain()?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["test", "--workspace", "--no-fail-fast"]))
}

/// The npm lockfiles whose packages are built into the binary.
const NPM_LOCKFILES: [&str; 1] = ["host/api/graphiql/package-lock.json"];

/// Licences of npm packages compatible with distributing SISO under the EUPL-1.2 (as
/// `deny.toml` for crates).
const NPM_LICENCES: [&str; 9] =
    ["MIT", "ISC", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "Python-2.0", "CC0-1.0", "BlueOak-1.0.0"];

/// `cargo deny check` (advisories, licences, bans, sources; installed when missing) and the
/// npm lockfiles (licences; `npm audit` when its service answers). With the network closed
/// the advisory database this machine fetched last is used; without any, advisories are
/// skipped with a warning and the rest still runs.
fn supply_chain() -> anyhow::Result<()> {
    let has_deny = cargo().args(["deny", "--version"]).output().is_ok_and(|o| o.status.success());
    if !has_deny {
        run(cargo().args(["install", "cargo-deny", "--locked"]))?;
    }
    let fetched = cargo().args(["deny", "fetch"]).status().is_ok_and(|s| s.success());
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    // A failed fetch leaves the directory with only its lock file: a copy is a directory
    // holding the advisories of crates.
    let local_db = std::fs::read_dir(home.join("advisory-dbs"))
        .is_ok_and(|d| d.flatten().any(|e| e.path().join("crates").is_dir()));
    if fetched || local_db {
        if !fetched {
            eprintln!("xtask: the advisory database could not be fetched: checking against the local copy");
        }
        run(cargo().args(["deny", "--offline", "check"]))?;
    } else {
        eprintln!("xtask: WARNING: no advisory database could be fetched or found: advisories NOT checked");
        run(cargo().args(["deny", "--offline", "check", "bans", "licenses", "sources"]))?;
    }
    for lock in NPM_LOCKFILES {
        npm_licences(lock)?;
        let dir = std::path::Path::new(lock).parent().unwrap_or(std::path::Path::new("."));
        let audit =
            Command::new("npm").args(["audit", "--package-lock-only", "--audit-level=high"]).current_dir(dir).output();
        match audit {
            Ok(o) if o.status.success() => eprintln!("xtask: npm audit of {lock}: no high or critical advisory"),
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
                if text.contains("audit endpoint returned an error") || text.contains("ENOTFOUND") {
                    eprintln!("xtask: WARNING: npm's audit service did not answer: {lock} not audited for advisories");
                } else {
                    bail!("npm audit of {lock} found advisories:\n{text}");
                }
            }
            Err(e) => eprintln!("xtask: WARNING: npm audit could not run ({e}): {lock} not audited for advisories"),
        }
    }
    Ok(())
}

/// Every package of an npm lockfile has a licence of [`NPM_LICENCES`].
fn npm_licences(lock: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(lock).with_context(|| format!("cannot read {lock}"))?;
    let doc: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{lock} is not JSON"))?;
    let packages = doc["packages"].as_object().with_context(|| format!("{lock} has no packages"))?;
    let mut refused = Vec::new();
    for (path, p) in packages.iter().filter(|(path, _)| !path.is_empty()) {
        let licence = p["license"].as_str().unwrap_or("(none)");
        let ok = licence.trim_matches(|c| c == '(' || c == ')').split(" OR ").any(|l| NPM_LICENCES.contains(&l.trim()));
        if !ok {
            refused.push(format!("{path}: {licence}"));
        }
    }
    if !refused.is_empty() {
        bail!("npm packages of {lock} with licences not allowed:\n{}", refused.join("\n"));
    }
    eprintln!("xtask: npm licences of {lock}: {} packages, all allowed", packages.len() - 1);
    Ok(())
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
