//! Tidy checks: what `docs/ARCHITECTURE.md` claims about the code stays true.
//!
//! - the crates depend on each other only downward, as its code map says (read from `cargo
//!   metadata`, so a new dependency in any `Cargo.toml` is seen): in particular the API reaches
//!   storage only through the application (`host/api` never depends on `siso-store`);
//! - every path it names exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

fn root() -> anyhow::Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().context("the workspace root")
}

/// Each workspace package and the workspace packages it depends on (normal, build and dev).
fn workspace_dependencies() -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root()?)
        .output()
        .context("cargo metadata runs")?;
    anyhow::ensure!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).context("cargo metadata prints JSON")?;
    let packages = meta["packages"].as_array().context("cargo metadata lists packages")?;
    let members: BTreeSet<String> = packages.iter().filter_map(|p| p["name"].as_str()).map(str::to_string).collect();
    Ok(packages
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap_or_default().to_string();
            let deps = p["dependencies"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|d| d["name"].as_str())
                        .filter(|n| members.contains(*n))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            (name, deps)
        })
        .collect())
}

#[test]
fn the_layers_depend_downward_only() -> anyhow::Result<()> {
    let deps = workspace_dependencies()?;
    // The workspace crates each layer may use (docs/ARCHITECTURE.md, "may depend on").
    let allowed: &[(&str, &[&str])] = &[
        ("siso-domain", &[]),
        ("siso-migration", &[]),
        ("siso-store", &["siso-domain", "siso-migration"]),
        ("siso-plugins", &["siso-domain"]),
        ("siso-app", &["siso-domain", "siso-store", "siso-plugins"]),
        ("siso-api", &["siso-domain", "siso-app", "siso-plugins"]),
    ];
    let mut wrong = Vec::new();
    for (krate, may) in allowed {
        let Some(actual) = deps.get(*krate) else {
            wrong.push(format!("{krate} is not a workspace package any more: update this test and the code map"));
            continue;
        };
        for d in actual.iter().filter(|d| !may.contains(&d.as_str())) {
            wrong.push(format!("{krate} depends on {d}"));
        }
    }
    assert!(wrong.is_empty(), "dependencies against docs/ARCHITECTURE.md:\n{}", wrong.join("\n"));
    // The check above cannot pass vacuously: the packages it reads are there, with their edges.
    assert!(deps["siso-app"].contains("siso-store"), "{deps:?}");
    assert!(deps["siso-api"].contains("siso-app"), "{deps:?}");
    Ok(())
}

/// Expands `a/{b,c}.rs` into `a/b.rs` and `a/c.rs`.
fn expand(path: &str) -> Vec<String> {
    match (path.find('{'), path.find('}')) {
        (Some(open), Some(close)) if open < close => path[open + 1..close]
            .split(',')
            .flat_map(|alt| expand(&format!("{}{}{}", &path[..open], alt, &path[close + 1..])))
            .collect(),
        _ => vec![path.to_string()],
    }
}

/// The repository paths a document names: words starting with a top-level directory of the
/// workspace, in code spans or in the diagram.
fn named_paths(text: &str) -> BTreeSet<String> {
    const TOP: &[&str] = &["host/", "plugins/", "tests/", "wit/", "migrations/", "xtask/", "docs/"];
    text.split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')' || c == '[' || c == ']')
        .map(|w| w.trim_end_matches([',', '.', ';', ':']))
        .filter(|w| TOP.iter().any(|t| w.starts_with(t)))
        .flat_map(expand)
        .collect()
}

#[test]
fn every_path_the_architecture_names_exists() -> anyhow::Result<()> {
    let root = root()?;
    let text = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).context("docs/ARCHITECTURE.md")?;
    let paths = named_paths(&text);
    assert!(paths.len() > 20, "too few paths found, the scan is broken: {paths:?}");
    assert!(paths.contains("host/app/src/read.rs") && paths.contains("host/api/src/http.rs"), "{paths:?}");
    // A pattern (`migrations/sql/*.sql`) names its directory.
    let exists = |p: &str| match p.find('*') {
        Some(star) => root.join(&p[..p[..star].rfind('/').unwrap_or(0)]).is_dir(),
        None => root.join(p.trim_end_matches('/')).exists(),
    };
    let missing: Vec<&String> = paths.iter().filter(|p| !exists(p)).collect();
    assert!(missing.is_empty(), "docs/ARCHITECTURE.md names paths that do not exist: {missing:?}");
    Ok(())
}

#[test]
fn the_scan_finds_what_it_should() {
    assert_eq!(expand("host/api/src/{http,auth}.rs"), vec!["host/api/src/http.rs", "host/api/src/auth.rs"]);
    let found = named_paths("see `host/app/src/hooks.rs`, and (host/store/src/repo/audit.rs). Not src/x.rs");
    assert_eq!(
        found,
        BTreeSet::from(["host/app/src/hooks.rs".to_string(), "host/store/src/repo/audit.rs".to_string()])
    );
}
