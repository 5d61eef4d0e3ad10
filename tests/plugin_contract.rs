//! The contract's versions: a released version is frozen (its copy under tests/contracts/ is
//! never edited), a plug-in built against that frozen copy keeps loading and running, and a
//! component targeting a version this host does not serve is refused with a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::plugins::{built, root};
use siso_plugins::harness::{Harness, fixtures};
use siso_plugins::package::AuthorManifest;
use siso_plugins::{LoadError, Runtime, RuntimeConfig};

#[test]
fn the_released_contract_is_frozen() {
    for file in ["types.wit", "hooks.wit"] {
        let live = std::fs::read_to_string(root().join("wit/siso-plugin@0.1.0").join(file)).unwrap();
        let frozen = std::fs::read_to_string(root().join("tests/contracts/siso-plugin@0.1.0").join(file)).unwrap();
        assert_eq!(
            live, frozen,
            "wit/siso-plugin@0.1.0/{file} changed: released versions are frozen; add 0.2.0 instead"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_built_against_the_frozen_contract_loads_and_runs() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let h = Harness::load(&root().join("tests/plugins/legacy/siso-plugin.toml"), &b.legacy).unwrap();
    let v = h.validate(&fixtures::case_opened()).await.unwrap().unwrap();
    assert_eq!(v.warnings.len(), 1);
    assert_eq!(v.warnings[0].code, "LEGACY_OK");
    assert!(v.vetoes.is_empty());
    // It exports only `validate`: asking it to decide is a typed fault, not a crash.
    let e = h.eligibility(&fixtures::subject()).await.unwrap_err();
    assert!(e.detail.contains("siso:plugin/decide"), "{e}");
}

#[test]
fn a_component_of_an_unserved_contract_version_is_refused() {
    let b = built();
    let mut bytes = std::fs::read(&b.legacy).unwrap();
    // The same component, renamed to a contract version this host does not serve.
    let mut renamed = 0;
    for name in ["validate", "types", "host"] {
        let from = format!("siso:plugin/{name}@0.1.0").into_bytes();
        let to = format!("siso:plugin/{name}@0.9.0").into_bytes();
        let mut i = 0;
        while i + from.len() <= bytes.len() {
            if bytes[i..i + from.len()] == from[..] {
                bytes[i..i + from.len()].copy_from_slice(&to);
                renamed += 1;
            }
            i += 1;
        }
    }
    assert!(renamed > 0);
    let mut manifest = AuthorManifest::load(&root().join("tests/plugins/legacy/siso-plugin.toml")).unwrap();
    manifest.wit = "0.9.0".into();
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::new(dir.path())).unwrap();
    match runtime.load(&manifest, &bytes) {
        Err(LoadError::Version { found, served }) => {
            assert_eq!(found, "0.9.0");
            assert_eq!(served, "0.1.0");
        }
        other => panic!("expected a version error, got {other:?}"),
    }
}

#[test]
fn components_carry_the_sdk_stamp() {
    let b = built();
    for wasm in [&b.template, &b.faulty] {
        let bytes = std::fs::read(wasm).unwrap();
        assert!(siso_plugins::inspect::sdk_stamp(&bytes).as_deref() == Some("siso:plugin@0.1.0"), "{}", wasm.display());
    }
}

/// The authors' and administrators' command line, as docs/plugins.md describes it: keygen,
/// sign, inspect, install (refused until the key is trusted), enable, list.
#[test]
fn the_command_line_signs_installs_and_enables_a_plugin() {
    let b = built();
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_siso");
    let db = format!("sqlite://{}/cli.db", dir.path().display());
    let siso = |args: &[&str], trusted: &str| {
        std::process::Command::new(bin)
            .args(args)
            .env("SISO__DATABASE__URL", &db)
            .env("SISO__LOG__FILTER", "warn")
            .env("SISO__PLUGINS__TRUSTED", trusted)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    ok(siso(&["seed-demo"], ""));
    ok(siso(&["plugin", "keygen", "--out", "publisher.key"], ""));
    let public = std::fs::read_to_string(dir.path().join("publisher.key.pub")).unwrap();
    let manifest = root().join("plugins/template/siso-plugin.toml");
    let out = ok(siso(
        &[
            "plugin",
            "sign",
            "--manifest",
            manifest.to_str().unwrap(),
            "--component",
            b.template.to_str().unwrap(),
            "--key",
            "publisher.key",
            "--out",
            "template.sisoplugin",
        ],
        "",
    ));
    assert!(out.contains("it.siso.template 0.1.0 signed"), "{out}");
    let out = ok(siso(&["plugin", "inspect", "template.sisoplugin"], ""));
    assert!(out.contains("sdk stamp: siso:plugin@0.1.0"), "{out}");
    assert!(out.contains(&format!("signed by: {}", public.trim())), "{out}");

    // Not trusted yet: refused.
    let refused = siso(&["plugin", "install", "template.sisoplugin"], "");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not trusted"), "{refused:?}");

    let trusted = format!("SISO project={}", public.trim());
    let out = ok(siso(&["plugin", "install", "template.sisoplugin"], &trusted));
    assert!(out.contains("it.siso.template installed 0.1.0"), "{out}");
    let bad = siso(
        &["plugin", "enable", "it.siso.template", "--org", "1", "--settings", "{\"isee_ceiling_cents\": -1}"],
        &trusted,
    );
    assert!(!bad.status.success(), "settings against the schema");
    ok(siso(
        &["plugin", "enable", "it.siso.template", "--org", "1", "--settings", "{\"isee_ceiling_cents\": 100}"],
        &trusted,
    ));
    let out = ok(siso(&["plugin", "list"], &trusted));
    assert!(out.contains("it.siso.template 0.1.0 [loaded] enabled for units [1]"), "{out}");
}
