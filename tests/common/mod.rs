//! Test kit: boots the real `siso` binary on an ephemeral port against a fresh database
//! (a new SQLite file, or a new PostgreSQL database), loaded with the demo data, and talks to
//! it over HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod plugins;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The admin URL of the PostgreSQL server used by tests.
pub fn pg_admin_url() -> String {
    std::env::var("SISO_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Every table of the schema, but the plug-ins' call counters and the compile cache's digests
/// (bookkeeping a background task writes, not records a request changes).
pub const TABLES: &[&str] = &[
    "org_units",
    "operators",
    "persons",
    "households",
    "household_members",
    "isee_attestations",
    "cases",
    "case_events",
    "access_sheets",
    "needs",
    "assessments",
    "plans",
    "plan_objectives",
    "plan_reviews",
    "catalogue_entries",
    "providers",
    "funds",
    "funding_lines",
    "interventions",
    "intervention_events",
    "commitments",
    "disbursements",
    "placements",
    "monthly_presences",
    "audit_events",
    "audit_chain_head",
    "plugins",
    "plugin_versions",
    "plugin_enablements",
    "plugin_results",
    "plugin_registry_state",
    "plugin_tombstones",
    "authz_rules",
    "authz_state",
    "api_keys",
    "operator_identities",
];

/// The instant the servers under test believe it is: the tests' dates are relative to it.
pub const NOW: &str = "2026-11-26T10:00:00Z";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A running server and its database.
pub struct Server {
    child: Child,
    pub url: String,
    pub db_url: String,
    db: Db,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Server {
    /// Starts a server with the demo data on a fresh database.
    pub async fn start(db: Db) -> Server {
        Self::start_with(db, &[]).await
    }

    /// Starts a server on the demo deployment: the demo data with the administrations'
    /// plug-ins built from `plugins/`, signed, installed and enabled exactly as `siso demo`
    /// does (`siso seed-demo --plugin ...`).
    pub async fn start_demo(db: Db) -> Server {
        let args: Vec<String> =
            plugins::administrations().into_iter().flat_map(|p| ["--plugin".to_string(), p]).collect();
        Self::seed_and_spawn(db, &args, &[]).await
    }

    /// Starts a server with extra environment variables.
    pub async fn start_with(db: Db, env: &[(&str, &str)]) -> Server {
        Self::seed_and_spawn(db, &[], env).await
    }

    async fn seed_and_spawn(db: Db, seed_args: &[String], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db_url, pg_name) = match db {
            Db::Sqlite => (format!("sqlite://{}/siso.db", dir.path().display()), None),
            Db::Postgres => {
                let n = COUNTER.fetch_add(1, Ordering::SeqCst);
                let name = format!("siso_t_{}_{}_{}", std::process::id(), n, rand_suffix());
                let admin =
                    Database::connect(pg_admin_url()).await.expect("PostgreSQL is not reachable; set SISO_TEST_PG_URL");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
                admin.close().await.ok();
                let base = pg_admin_url();
                let base = base.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(base);
                (format!("{base}/{name}"), Some(name))
            }
        };
        let bin = env!("CARGO_BIN_EXE_siso");
        let status = Command::new(bin)
            .arg("seed-demo")
            .args(seed_args)
            .env("SISO__DATABASE__URL", &db_url)
            .env("SISO__CLOCK__FIXED_NOW", NOW)
            .env("SISO__LOG__FILTER", "warn")
            .current_dir(dir.path())
            .status()
            .expect("run siso seed-demo");
        assert!(status.success(), "siso seed-demo failed");
        // The server checks every stored package against its own trust list at each load: it
        // trusts the demo publisher key seed-demo signed with, as `siso demo` does.
        let trusted = demo_trust(dir.path(), seed_args);
        let mut env: Vec<(&str, &str)> = env.to_vec();
        if let Some(t) = &trusted {
            env.retain(|(k, _)| *k != "SISO__PLUGINS__TRUSTED");
            env.push(("SISO__PLUGINS__TRUSTED", t));
        }
        Self::spawn(dir, db_url, db, pg_name, &env).await
    }

    async fn spawn(
        dir: tempfile::TempDir,
        db_url: String,
        db: Db,
        pg_name: Option<String>,
        env: &[(&str, &str)],
    ) -> Server {
        let (child, url) = Self::spawn_child(dir.path(), &db_url, env).await;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        Server { child, url, db_url, db, pg_name, _dir: dir, http }
    }

    /// Starts `siso serve` in `dir` on `db_url` and waits until it listens.
    async fn spawn_child(dir: &std::path::Path, db_url: &str, env: &[(&str, &str)]) -> (Child, String) {
        let bin = env!("CARGO_BIN_EXE_siso");
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .env("SISO__DATABASE__URL", db_url)
            .env("SISO__CLOCK__FIXED_NOW", NOW)
            .env("SISO__SERVER__LISTEN", "127.0.0.1:0")
            .env("SISO__LOG__FILTER", "warn")
            // The suite signs operators in by name; tests/authn.rs covers tokens and keys.
            .env("SISO__API__AUTH__DEV_LOGIN", "true")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(match std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")) {
                Ok(f) => Stdio::from(f),
                Err(_) => Stdio::inherit(),
            });
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn siso serve");
        let stdout = child.stdout.take().expect("stdout");
        let url = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let line = line.expect("read stdout");
                if let Some(url) = line.strip_prefix("siso listening on ") {
                    let url = url.trim().to_string();
                    // Keep draining stdout so the server never blocks on a full pipe.
                    std::thread::spawn(move || for _ in lines {});
                    return url;
                }
            }
            panic!("siso serve exited before listening");
        })
        .await
        .expect("join");
        (child, url)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server with SIGKILL (no shutdown of any kind) and waits for it to die.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same database and directory (after [`Server::kill`]),
    /// with extra environment variables; it listens on a new port.
    pub async fn restart(&mut self, env: &[(&str, &str)]) {
        self.kill();
        let (child, url) = Self::spawn_child(self._dir.path(), &self.db_url, env).await;
        self.child = child;
        self.url = url;
    }

    /// Starts a second server process on the database of `other` through another URL (another
    /// database user, say), without seeding.
    pub async fn attach_url(other: &Server, db_url: &str, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Self::spawn(dir, db_url.to_string(), other.db, None, env).await;
        s.pg_name = None;
        s
    }

    /// Starts a second server process on the database of `other` (no seeding).
    pub async fn attach(other: &Server, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Self::spawn(dir, other.db_url.clone(), other.db, None, env).await;
        s.pg_name = None;
        s
    }

    /// Posts a GraphQL request as `operator` (None: anonymous) and returns the JSON answer.
    pub async fn gql(&self, operator: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req =
            self.http.post(format!("{}/graphql", self.url)).json(&json!({ "query": query, "variables": variables }));
        if let Some(op) = operator {
            req = req.header("x-siso-operator", op);
        }
        let resp = req.send().await.expect("send");
        resp.json::<Value>().await.expect("json answer")
    }

    /// Like [`Server::gql`] but fails the test on any top-level error and returns `data`.
    pub async fn data(&self, operator: &str, query: &str, variables: Value) -> Value {
        let v = self.gql(Some(operator), query, variables).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v}");
        v["data"].clone()
    }

    /// The server's peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// What the server wrote to its log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("server.log")).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// A raw HTTP client and the base URL.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The statements counter from /metrics.
    pub async fn sql_statements(&self) -> u64 {
        let text = self.http.get(format!("{}/metrics", self.url)).send().await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("siso_sql_statements_total "))
            .and_then(|v| v.trim().parse().ok())
            .expect("metric")
    }

    /// A direct connection to the test database (for assertions only).
    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.db_url).await.expect("connect to the test database")
    }

    /// A fingerprint of every table: each row's every column, in id order, hashed per table.
    /// Equal fingerprints before and after a request mean the request changed nothing.
    pub async fn fingerprint(&self) -> Vec<(String, usize, u64)> {
        use std::hash::{Hash, Hasher};
        let db = self.db().await;
        let backend = db.get_database_backend();
        let mut out = Vec::new();
        for t in TABLES {
            let sql = match self.db {
                Db::Postgres => format!("SELECT t::text FROM {t} t ORDER BY id"),
                Db::Sqlite => {
                    let cols = db
                        .query_all_raw(sea_orm::Statement::from_string(
                            backend,
                            format!("SELECT name FROM pragma_table_info('{t}')"),
                        ))
                        .await
                        .unwrap();
                    let cols: Vec<String> =
                        cols.iter().map(|r| format!("quote({})", r.try_get_by_index::<String>(0).unwrap())).collect();
                    format!("SELECT {} FROM {t} ORDER BY id", cols.join(" || ',' || "))
                }
            };
            let rows = db.query_all_raw(sea_orm::Statement::from_string(backend, sql)).await.unwrap();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            for r in &rows {
                r.try_get_by_index::<String>(0).unwrap().hash(&mut h);
            }
            out.push((t.to_string(), rows.len(), h.finish()));
        }
        db.close().await.ok();
        out
    }

    /// Runs `siso audit <args>` on this server's database: (success, stdout + stderr).
    pub fn audit(&self, args: &[&str]) -> (bool, String) {
        let mut all = vec!["audit"];
        all.extend_from_slice(args);
        self.siso(&all)
    }

    /// Runs `siso <args>` on this server's database: (success, stdout + stderr).
    pub fn siso(&self, args: &[&str]) -> (bool, String) {
        self.siso_env(args, &[])
    }

    /// Runs `siso <args>` on this server's database with extra environment variables.
    pub fn siso_env(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_siso"))
            .args(args)
            .envs(env.iter().copied())
            .env("SISO__DATABASE__URL", &self.db_url)
            .env("SISO__LOG__FILTER", "warn")
            .current_dir(self._dir.path())
            .output()
            .expect("run siso");
        let text = String::from_utf8_lossy(&out.stdout).to_string() + String::from_utf8_lossy(&out.stderr).as_ref();
        (out.status.success(), text)
    }

    /// Stops the server and drops a PostgreSQL database.
    pub async fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(name) = self.pg_name.take()
            && let Ok(admin) = Database::connect(pg_admin_url()).await
        {
            {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                admin.close().await.ok();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test never reaches `stop`: drop its database here, on a thread of its own
        // (this may run inside the test's runtime).
        if let Some(name) = self.pg_name.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(pg_admin_url()).await {
                            let _ =
                                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                            admin.close().await.ok();
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// `plugins.trusted` for the publishers of the `--plugin` manifests with the demo key that
/// seed-demo created in `dir` (`None` when no plug-in was seeded).
fn demo_trust(dir: &std::path::Path, seed_args: &[String]) -> Option<String> {
    let key = std::fs::read_to_string(dir.join("data/demo-publisher.key")).ok()?;
    let key = siso_plugins::package::decode_secret_key(&key).expect("demo key");
    let public = siso_plugins::package::public_key(&key);
    let entries: Vec<String> = seed_args
        .iter()
        .filter_map(|a| a.split_once('=').map(|(m, _)| m.to_string()))
        .filter_map(|m| siso_plugins::package::AuthorManifest::load(std::path::Path::new(&m)).ok())
        .map(|m| format!("{}={public}", m.publisher))
        .collect();
    (!entries.is_empty()).then(|| entries.join(","))
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(COUNTER.load(Ordering::SeqCst));
    h.finish() % 1_000_000
}

/// Runs a test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let server = common::Server::start(common::Db::Sqlite).await;
                ($body)(&server).await;
                server.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let server = common::Server::start(common::Db::Postgres).await;
                ($body)(&server).await;
                server.stop().await;
            }
        }
    };
}

/// The database key a global id of the API names (tests compare answers with SQL).
pub fn key(id: &str) -> i64 {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id).ok().and_then(|b| String::from_utf8(b).ok());
    text.as_deref()
        .and_then(|t| t.split_once(':'))
        .and_then(|(_, k)| k.parse().ok())
        .unwrap_or_else(|| panic!("{id} is not a global id"))
}

/// The global id the API shows for the record of `type_name` with database key `key`.
pub fn gid(type_name: &str, key: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}"))
}

/// Looks up an id by a GraphQL query path helper.
pub fn s(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}
