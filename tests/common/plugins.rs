//! Plug-ins for the tests: built from the workspace's plug-in crates by the test suite (once
//! per test binary), packaged and signed with a test publisher key the servers trust.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use siso_plugins::package::{AuthorManifest, Package, SigningKey, public_key};

/// Components built for the tests.
#[derive(Debug, Clone)]
pub struct Built {
    pub template: PathBuf,
    pub faulty: PathBuf,
    pub faulty_v2: PathBuf,
    pub legacy: PathBuf,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_out(built: PathBuf, name: &str) -> PathBuf {
    // Builds with other features overwrite the same file name: keep a copy per variant.
    let out = built.with_file_name(name);
    std::fs::copy(&built, &out).expect("copy component");
    out
}

/// Builds the test plug-ins (cargo skips what is up to date).
pub fn built() -> Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let r = root();
            let b = |dir: &str, features: &[&str]| {
                siso_plugins::harness::build_component_with(r.join(dir), features)
                    .unwrap_or_else(|e| panic!("building {dir}: {e:#}"))
            };
            Built {
                template: copy_out(b("plugins/template", &[]), "template-v1.wasm"),
                faulty: copy_out(b("plugins/testing/faulty", &[]), "faulty-v1.wasm"),
                faulty_v2: copy_out(b("plugins/testing/faulty", &["v2"]), "faulty-v2.wasm"),
                legacy: copy_out(b("tests/plugins/legacy", &[]), "legacy.wasm"),
            }
        })
        .clone()
}

/// The administrations' plug-ins of `plugins/`, built for wasm32-wasip2 (once per test
/// binary), as `siso seed-demo --plugin` arguments (`MANIFEST=COMPONENT`).
pub fn administrations() -> Vec<String> {
    static BUILT: OnceLock<Vec<String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            ["umbria", "rete-comuni", "lazio", "compartecipazione"]
                .iter()
                .map(|name| {
                    let dir = root().join("plugins").join(name);
                    let wasm = siso_plugins::harness::build_component_with(&dir, &[])
                        .unwrap_or_else(|e| panic!("building plugins/{name}: {e:#}"));
                    format!("{}={}", dir.join("siso-plugin.toml").display(), wasm.display())
                })
                .collect()
        })
        .clone()
}

/// The test publisher's key (fixed, so servers can be told to trust it).
pub fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

/// A key nobody trusts.
pub fn stranger() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32])
}

/// The `SISO__PLUGINS__TRUSTED` value trusting the test key for the test publishers.
pub fn trusted() -> String {
    let k = public_key(&key());
    format!("SISO tests={k},SISO project={k}")
}

/// A package of `wasm` with the manifest at `manifest` (relative to the repository root),
/// signed with `key` (None: unsigned).
pub fn package(manifest: &str, wasm: &Path, key: Option<&SigningKey>) -> Vec<u8> {
    let m = AuthorManifest::load(&root().join(manifest)).expect("manifest");
    let mut p = Package::new(m, std::fs::read(wasm).expect("component")).expect("package");
    if let Some(k) = key {
        p.sign(k);
    }
    p.to_bytes()
}

/// Base64 of bytes.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Like [`package`], signed, with the manifest's version replaced.
pub fn package_as(manifest: &str, version: &str, wasm: &Path, key: &SigningKey) -> Vec<u8> {
    let mut m = AuthorManifest::load(&root().join(manifest)).expect("manifest");
    m.version = version.into();
    let mut p = Package::new(m, std::fs::read(wasm).expect("component")).expect("package");
    p.sign(key);
    p.to_bytes()
}

/// Like [`package`], signed with `key`, with the manifest changed by `change` (another id,
/// publisher or version).
pub fn package_with(
    manifest: &str,
    wasm: &Path,
    key: &SigningKey,
    change: impl FnOnce(&mut siso_plugins::package::Manifest),
) -> Vec<u8> {
    let mut m = AuthorManifest::load(&root().join(manifest)).expect("manifest");
    change(&mut m);
    let mut p = Package::new(m, std::fs::read(wasm).expect("component")).expect("package");
    p.sign(key);
    p.to_bytes()
}
