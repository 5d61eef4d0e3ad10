//! Build script for `siso-api`: provides the GraphiQL browser assets.
//!
//! The GraphiQL page served at `GET /graphql` must work without internet
//! access, so its JavaScript and CSS are embedded into the binary (see
//! `src/graphiql.rs`) instead of being loaded from a CDN. The assets are not
//! committed to the repository: they are npm packages pinned in
//! `graphiql/package.json` + `graphiql/package-lock.json` and are installed
//! here, at build time, with `npm ci`.
//!
//! What this script does:
//!
//! 1. If the environment variable `SISO_GRAPHIQL_DIR` is set, it must point to
//!    a directory that already holds the four assets (for offline builds);
//!    npm is not run. Two layouts are accepted:
//!    * flat: `react.js`, `react-dom.js`, `graphiql.js`, `graphiql.css`
//!      (e.g. a copy of `$OUT_DIR/graphiql-assets` from an earlier build);
//!    * an npm project dir where `npm ci` already ran, i.e.
//!      `node_modules/react/umd/react.production.min.js`, ... .
//! 2. Otherwise `package.json` and `package-lock.json` are copied into
//!    `$OUT_DIR/graphiql` and `npm ci --ignore-scripts --no-audit --no-fund`
//!    is run there. The source tree is never written to. If the previous run
//!    already installed the very same manifest and lockfile and the assets
//!    are present, npm is skipped.
//! 3. The four files are copied to `$OUT_DIR/graphiql-assets/` under the
//!    names listed in [`ASSETS`], where `include_bytes!` picks them up.
//!
//! Requires `node`/`npm` on `PATH` unless `SISO_GRAPHIQL_DIR` is used.

use std::env;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Environment variable naming a directory with prebuilt assets.
const ENV_ASSET_DIR: &str = "SISO_GRAPHIQL_DIR";

/// Directory (relative to the crate root) with the npm manifest and lockfile.
const NPM_PROJECT_DIR: &str = "graphiql";

/// Sub-directory of `OUT_DIR` where the final assets are placed.
const ASSET_OUT_DIR: &str = "graphiql-assets";

/// Name of the stamp file recording which manifest + lockfile were last
/// installed in `$OUT_DIR/graphiql`.
const STAMP_FILE: &str = ".siso-installed";

/// `(name under OUT_DIR/graphiql-assets, path inside an npm project dir)`.
const ASSETS: [(&str, &str); 4] = [
    ("react.js", "node_modules/react/umd/react.production.min.js"),
    ("react-dom.js", "node_modules/react-dom/umd/react-dom.production.min.js"),
    ("graphiql.js", "node_modules/graphiql/graphiql.min.js"),
    ("graphiql.css", "node_modules/graphiql/graphiql.min.css"),
];

fn main() {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env_var("OUT_DIR"));
    let npm_src = manifest_dir.join(NPM_PROJECT_DIR);
    let package_json = npm_src.join("package.json");
    let package_lock = npm_src.join("package-lock.json");

    println!("cargo:rerun-if-changed={}", package_json.display());
    println!("cargo:rerun-if-changed={}", package_lock.display());
    println!("cargo:rerun-if-env-changed={ENV_ASSET_DIR}");

    let sources: Vec<PathBuf> = match env::var_os(ENV_ASSET_DIR) {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            let found = locate_prebuilt(&dir).unwrap_or_else(|| {
                panic!(
                    "{ENV_ASSET_DIR}={} does not hold the GraphiQL assets. Expected either \
                     the files {} directly in it, or an npm project there with {}.",
                    dir.display(),
                    ASSETS.map(|(name, _)| name).join(", "),
                    ASSETS.map(|(_, path)| path).join(", "),
                )
            });
            // Offline mode: rebuild when the provided files change.
            for file in &found {
                println!("cargo:rerun-if-changed={}", file.display());
            }
            found
        }
        _ => {
            let work = out_dir.join(NPM_PROJECT_DIR);
            npm_install(&package_json, &package_lock, &work);
            ASSETS.iter().map(|(_, rel)| work.join(rel)).collect()
        }
    };

    let dest_dir = out_dir.join(ASSET_OUT_DIR);
    create_dir(&dest_dir);
    for ((name, _), src) in ASSETS.iter().zip(&sources) {
        let dest = dest_dir.join(name);
        if let Err(err) = fs::copy(src, &dest) {
            panic!("failed to copy GraphiQL asset {} to {}: {err}", src.display(), dest.display());
        }
    }
}

/// Finds the four assets in a directory given via `SISO_GRAPHIQL_DIR`.
fn locate_prebuilt(dir: &Path) -> Option<Vec<PathBuf>> {
    let flat: Vec<PathBuf> = ASSETS.iter().map(|(name, _)| dir.join(name)).collect();
    if flat.iter().all(|p| p.is_file()) {
        return Some(flat);
    }
    let npm: Vec<PathBuf> = ASSETS.iter().map(|(_, rel)| dir.join(rel)).collect();
    if npm.iter().all(|p| p.is_file()) {
        return Some(npm);
    }
    None
}

/// Runs `npm ci` in `work` (a scratch dir under `OUT_DIR`) unless the same
/// `package.json` + lockfile were already installed there and all assets
/// exist.
fn npm_install(package_json: &Path, package_lock: &Path, work: &Path) {
    let manifest = read(package_json);
    let lock = read(package_lock);
    let stamp_contents = [manifest.as_slice(), b"\0", lock.as_slice()].concat();
    let stamp = work.join(STAMP_FILE);
    let assets_present = ASSETS.iter().all(|(_, rel)| work.join(rel).is_file());
    let up_to_date = fs::read(&stamp).is_ok_and(|installed| installed == stamp_contents);
    if assets_present && up_to_date {
        return;
    }

    create_dir(work);
    // Invalidate the stamp first so an interrupted install is redone.
    match fs::remove_file(&stamp) {
        Ok(()) => {}
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => panic!("failed to remove {}: {err}", stamp.display()),
    }
    write(&work.join("package.json"), &manifest);
    write(&work.join("package-lock.json"), &lock);

    let started = Instant::now();
    let output =
        Command::new("npm").args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]).current_dir(work).output();
    let output = match output {
        Ok(output) => output,
        Err(err) if err.kind() == ErrorKind::NotFound => panic!(
            "\n\nsiso-api build: `npm` was not found on PATH.\n\
             Node.js/npm is required to fetch the GraphiQL assets pinned in \
             host/api/graphiql/package-lock.json.\n\
             Install Node.js (which provides npm), or set {ENV_ASSET_DIR} to a directory \
             that already holds react.js, react-dom.js, graphiql.js and graphiql.css.\n"
        ),
        Err(err) => panic!(
            "\n\nsiso-api build: failed to start `npm ci` ({err}).\n\
             Node.js/npm is required to fetch the GraphiQL assets, or set {ENV_ASSET_DIR} \
             to a directory with prebuilt assets.\n"
        ),
    };
    if !output.status.success() {
        panic!(
            "\n\nsiso-api build: `npm ci` failed ({status}) in {dir}.\n\
             Node.js/npm and access to the npm registry are required to fetch the GraphiQL \
             assets; for offline builds set {ENV_ASSET_DIR} to a directory with prebuilt \
             assets.\n--- npm stdout ---\n{stdout}\n--- npm stderr ---\n{stderr}\n",
            status = output.status,
            dir = work.display(),
            stdout = String::from_utf8_lossy(&output.stdout),
            stderr = String::from_utf8_lossy(&output.stderr),
        );
    }

    for (_, rel) in ASSETS {
        let path = work.join(rel);
        if !path.is_file() {
            panic!(
                "siso-api build: `npm ci` succeeded but {} is missing; \
                 do the pinned package versions still ship this file?",
                path.display()
            );
        }
    }
    write(&stamp, &stamp_contents);
    // Visible with `cargo build -vv`.
    eprintln!("siso-api build: npm ci for GraphiQL assets took {:.1}s", started.elapsed().as_secs_f64());
}

fn env_var(name: &str) -> String {
    env::var(name).unwrap_or_else(|err| panic!("environment variable {name}: {err}"))
}

fn create_dir(dir: &Path) {
    if let Err(err) = fs::create_dir_all(dir) {
        panic!("failed to create {}: {err}", dir.display());
    }
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|err| panic!("failed to read {}: {err}", path.display()))
}

fn write(path: &Path, contents: &[u8]) {
    if let Err(err) = fs::write(path, contents) {
        panic!("failed to write {}: {err}", path.display());
    }
}
