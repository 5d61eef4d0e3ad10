//! `siso-plugin-bench`: the plug-in runtime's figures (docs/benchmarks.md, "Plug-ins").
//!
//! ```text
//! cargo build --release -p siso -p siso-bench
//! target/release/siso-plugin-bench
//! ```
//! 1. instantiate + call of a small rule plug-in (fresh store and instance per call);
//! 2. batch evaluation: rule evaluations per second in `eligibility-batch`, one core;
//! 3. the overhead of three validate hooks on the open-case use case (in process, SQLite);
//! 4. install (compile) time of a large component;
//! 5. start of `siso serve` with five installed plug-ins, compile cache warm;
//! 6. instantiate + call of each administration's plug-in on the subject it rules.

// Timing figures, not money: floating point is fine here.
#![allow(clippy::float_arithmetic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use siso_app::plugins::{Enable, PluginConfig, Plugins};
use siso_app::usecases::{CreatePerson, OpenCase};
use siso_app::{Actor, App};
use siso_domain::case::UserArea;
use siso_domain::clock::FixedClock;
use siso_domain::org::OrgUnitKind;
use siso_domain::person::Sex;
use siso_plugins::harness::{build_component, build_component_with, fixtures};
use siso_plugins::package::{AuthorManifest, Package};
use siso_plugins::{CallEnv, Runtime, RuntimeConfig};
use siso_store::repo::org::{NewOrgUnit, insert_unit};
use siso_store::{DbConfig, Store};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn manifest(dir: &str) -> anyhow::Result<siso_plugins::Manifest> {
    Ok(AuthorManifest::load(&root().join(dir).join("siso-plugin.toml"))?)
}

fn package(dir: &str, wasm: &Path, id: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let mut m = manifest(dir)?;
    if let Some(id) = id {
        m.id = id.into();
    }
    Ok(Package::new(m, std::fs::read(wasm)?)?.to_bytes())
}

async fn instantiate_and_call(template: &Path) -> anyhow::Result<()> {
    let cache = tempfile::tempdir()?;
    let runtime = Runtime::new(RuntimeConfig::new(cache.path()))?;
    let plugin = runtime.load(&manifest("plugins/template")?, &std::fs::read(template)?)?;
    let env = CallEnv { limits: runtime.default_limits(), ..CallEnv::default() };
    let mut ctx = fixtures::context();
    ctx.settings = r#"{"isee_ceiling_cents": 2000000}"#.into();
    let change = fixtures::authorisation(fixtures::subject());
    let mut h = Histogram::<u64>::new(3)?;
    for i in 0..22_000 {
        let t = Instant::now();
        let v = runtime.validate(&plugin, &env, &ctx, &change).await?;
        let ns = t.elapsed().as_nanos() as u64;
        if v.map(|v| v.vetoes.len()).unwrap_or(1) != 0 {
            bail!("unexpected verdict");
        }
        if i >= 2_000 {
            h.record(ns)?;
        }
    }
    println!(
        "1. instantiate + validate (template, authorisation subject): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} calls)",
        us(&h, 0.5),
        us(&h, 0.99),
        h.max() as f64 / 1000.0,
        h.len()
    );

    // 2. Batch evaluation.
    let subjects: Vec<_> = (0..10_000)
        .map(|i| {
            let mut s = fixtures::subject();
            s.isee[0].value = siso_domain::money::Money::from_euro(i % 40_000);
            s
        })
        .collect();
    let mut big = env.clone();
    big.limits.max_input_bytes = 64 << 20;
    big.limits.fuel = u64::MAX / 2;
    big.limits.timeout = Duration::from_secs(30);
    let _ = runtime.eligibility_batch(&plugin, &big, &ctx, &subjects).await?;
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..20 {
        let r = runtime.eligibility_batch(&plugin, &big, &ctx, &subjects).await?;
        n += r.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("2. batch eligibility: {n} evaluations in {secs:.3} s = {:.0} evaluations/s (one core)", n as f64 / secs);
    Ok(())
}

async fn hook_overhead(faulty: &Path, legacy: &Path) -> anyhow::Result<()> {
    let dir = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir())?;
    // SQLite on /dev/shm by default; `SISO_BENCH_PG=postgres://…/postgres-admin-db` runs the same
    // on a fresh PostgreSQL database `siso_plugin_bench`.
    let url = match std::env::var("SISO_BENCH_PG") {
        Ok(admin) => {
            use sea_orm::ConnectionTrait;
            let a = sea_orm::Database::connect(&admin).await?;
            a.execute_unprepared("DROP DATABASE IF EXISTS siso_plugin_bench WITH (FORCE)").await?;
            a.execute_unprepared("CREATE DATABASE siso_plugin_bench").await?;
            a.close().await?;
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
            format!("{base}/siso_plugin_bench?sslmode=disable")
        }
        Err(_) => format!("sqlite://{}/bench.db", dir.path().display()),
    };
    let db = DbConfig { url: url.clone(), ..DbConfig::default() };
    let store = Store::connect(&db).await?;
    store.migrate().await?;
    let clock = Arc::new(FixedClock::new(chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")?.to_utc()));
    let mut cfg = PluginConfig::new(dir.path().join("cache"));
    cfg.development = true;
    let plugins = Arc::new(Plugins::new(store.clone(), clock.clone(), cfg)?);
    plugins.reload().await?;
    let app = App::new(store.clone(), clock, plugins.clone());
    let now = app.clock().now();
    let unit = |parent, name: &str, kind| NewOrgUnit {
        parent_id: parent,
        kind,
        name: name.into(),
        istat_code: None,
        cadastral_code: None,
        inps_ente_code: None,
        fiscal_code: None,
    };
    // Two regions in one database: the three plug-ins are enabled for the first only, and
    // cases are opened in the two alternately, so both series see the same database state.
    let mut sites = Vec::new();
    for name in ["With plug-ins", "Without plug-ins"] {
        let region = insert_unit(&store, unit(None, name, OrgUnitKind::Region), now).await?;
        let comune = insert_unit(&store, unit(Some(region.id), "Comune", OrgUnitKind::Comune), now).await?;
        let person = app
            .create_person(
                &Actor::system(comune.id),
                CreatePerson {
                    org_unit_id: comune.id,
                    fiscal_code: None,
                    surname: "Rossi".into(),
                    given_name: "Maria".into(),
                    sex: Sex::Female,
                    birth_date: fixtures::date(1940, 1, 1),
                    birth_place_code: None,
                    citizenship_code: None,
                    residence_comune_code: None,
                    residence_address: None,
                    homeless: false,
                    disability: false,
                    civil_invalidity_percent: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        sites.push((region.id, comune.id, person.id));
    }
    let system = Actor::system(sites[0].1);
    for (id, dir, wasm) in [
        ("bench.one", "plugins/testing/faulty", faulty),
        ("bench.two", "plugins/testing/faulty", faulty),
        ("bench.three", "tests/plugins/legacy", legacy),
    ] {
        plugins.install(&system, &package(dir, wasm, Some(id))?).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        plugins
            .enable(
                &system,
                Enable {
                    plugin: id.into(),
                    org_unit_id: sites[0].0,
                    settings: None,
                    capabilities: Vec::new(),
                    failure_policy: None,
                    locked: false,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let open = |site: usize| OpenCase {
        org_unit_id: sites[site].1,
        person_id: sites[site].2,
        area: UserArea::Elderly,
        responsible_operator_id: None,
        opened_on: fixtures::date(2026, 11, 1),
    };
    for site in [0, 1] {
        let counter = store.sql_counter();
        let before = counter.get();
        for _ in 0..10 {
            app.open_case(&system, open(site)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let label = if site == 0 { "with" } else { "without" };
        println!("   SQL statements per openCase {label} plug-ins: {}", (counter.get() - before) / 10);
    }
    // The dispatch alone (targets + three validate calls), outside any transaction.
    let mut dispatch = Histogram::<u64>::new(3)?;
    let case = siso_plugins::model::Change::CaseOpened(fixtures::subject().case);
    for i in 0..3_000 {
        let t = Instant::now();
        let targets = plugins
            .targets(&store, sites[0].1, siso_plugins::Hook::CaseOpened)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let out = plugins.validate(&store, &targets, &case).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if i >= 500 {
            dispatch.record(t.elapsed().as_nanos() as u64)?;
        }
        if targets.len() != 3 || out.len() != 1 {
            bail!("expected three plug-ins and one warning");
        }
    }
    println!(
        "   dispatch of the three validate hooks alone (no database): p50 {:.1} µs, p99 {:.1} µs",
        us(&dispatch, 0.5),
        us(&dispatch, 0.99)
    );
    let mut with = Histogram::<u64>::new(3)?;
    let mut without = Histogram::<u64>::new(3)?;
    let before = plugins.runtime().stats();
    for i in 0..6_000 {
        for site in [i % 2, 1 - i % 2] {
            let t = Instant::now();
            app.open_case(&system, open(site)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let ns = t.elapsed().as_nanos() as u64;
            if i >= 500 {
                if site == 0 { with.record(ns)? } else { without.record(ns)? }
            }
        }
    }
    let after = plugins.runtime().stats();
    let mut calls = 0;
    let mut nanos = 0;
    for (label, st) in &after {
        let b = before.get(label).cloned().unwrap_or_default();
        calls += st.invocations - b.invocations;
        nanos += st.nanos - b.nanos;
    }
    println!(
        "   of which inside the sandbox (instantiate + call, {calls} calls): {:.1} µs per call, {:.1} µs per openCase",
        nanos as f64 / calls.max(1) as f64 / 1000.0,
        nanos as f64 / 6_000.0 / 1000.0
    );
    println!(
        "3. openCase in process ({}): p50 {:.1} µs without plug-ins, {:.1} µs with three validate hooks: +{:.1} µs (p99 {:.1} → {:.1} µs)",
        url.split('?').next().unwrap_or_default(),
        us(&without, 0.5),
        us(&with, 0.5),
        us(&with, 0.5) - us(&without, 0.5),
        us(&without, 0.99),
        us(&with, 0.99)
    );
    Ok(())
}

fn compile_large() -> anyhow::Result<()> {
    // The faulty test plug-in built without optimisation: the largest code we have.
    let wasm = build_component_unoptimised()?;
    let bytes = std::fs::read(&wasm)?;
    let cache = tempfile::tempdir()?;
    let runtime = Runtime::new(RuntimeConfig::new(cache.path()))?;
    let m = manifest("plugins/testing/faulty")?;
    let t = Instant::now();
    runtime.load(&m, &bytes)?;
    let compile = t.elapsed();
    let t = Instant::now();
    runtime.load(&m, &bytes)?;
    let cached = t.elapsed();
    println!(
        "4. install of a {:.2} MB component: compile {:.0} ms ({:.0} ms per MB); from the cache {:.2} ms",
        bytes.len() as f64 / 1e6,
        compile.as_secs_f64() * 1000.0,
        compile.as_secs_f64() * 1000.0 / (bytes.len() as f64 / 1e6),
        cached.as_secs_f64() * 1000.0
    );
    Ok(())
}

fn build_component_unoptimised() -> anyhow::Result<PathBuf> {
    let target = siso_plugins::harness::plugin_target_dir().join("unoptimised");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(root().join("plugins/testing/faulty/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .args(["--config", "profile.release.opt-level=0", "--config", "profile.release.debug=false"])
        .status()?;
    if !status.success() {
        bail!("cargo build failed");
    }
    Ok(target.join("wasm32-wasip2/release/siso_plugin_faulty.wasm"))
}

fn server_start(template: &Path, faulty: &Path, legacy: &Path) -> anyhow::Result<()> {
    let bin = std::env::current_exe()?.with_file_name("siso");
    if !bin.exists() {
        bail!("build the server first: cargo build --release -p siso");
    }
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}/start.db", dir.path().display());
    let env = [
        ("SISO__DATABASE__URL", db.as_str()),
        ("SISO__PLUGINS__DEVELOPMENT", "true"),
        ("SISO__LOG__FILTER", "warn"),
        ("SISO__SERVER__LISTEN", "127.0.0.1:0"),
    ];
    let run = |args: &[&str]| -> anyhow::Result<()> {
        let out = Command::new(&bin).args(args).envs(env).current_dir(dir.path()).output()?;
        if !out.status.success() {
            bail!("siso {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    run(&["seed-demo"])?;
    let packages = [
        ("plugins/template", template, "bench.template"),
        ("plugins/testing/faulty", faulty, "bench.faulty"),
        ("tests/plugins/legacy", legacy, "bench.legacy"),
        ("plugins/template", template, "bench.template-two"),
        ("plugins/testing/faulty", faulty, "bench.faulty-two"),
    ];
    for (i, (d, wasm, id)) in packages.iter().enumerate() {
        let p = dir.path().join(format!("p{i}.sisoplugin"));
        std::fs::write(&p, package(d, wasm, Some(id))?)?;
        run(&["plugin", "install", &p.display().to_string()])?;
        run(&[
            "plugin",
            "enable",
            id,
            "--org",
            "1",
            "--settings",
            if d.contains("template") { r#"{"isee_ceiling_cents": 1}"# } else { "{}" },
        ])?;
    }
    let mut h = Histogram::<u64>::new(3)?;
    for _ in 0..11 {
        let t = Instant::now();
        let mut child =
            Command::new(&bin).arg("serve").envs(env).current_dir(dir.path()).stdout(Stdio::piped()).spawn()?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut listening = false;
        for line in BufReader::new(stdout).lines() {
            if line?.starts_with("siso listening on ") {
                listening = true;
                break;
            }
        }
        let elapsed = t.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        if !listening {
            bail!("the server did not start");
        }
        h.record(elapsed.as_micros() as u64)?;
    }
    println!(
        "5. siso serve with 5 plug-ins installed and enabled, cache warm: start to listening p50 {:.0} ms, max {:.0} ms (11 starts, the first one may compile)",
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.max() as f64 / 1000.0
    );
    Ok(())
}

/// Measurement 6: each administration's plug-in on a subject it rules (its full path, not an
/// abstention): Umbria's SINA check, Lazio's FNA bands, Rete Comuni's contribution rule on
/// authorisation, the co-payment of a comune's regulation.
async fn administrations() -> anyhow::Result<()> {
    use siso_domain::assessment::{Assessment, Instrument, SinaBlock};
    use siso_domain::ids::{AssessmentId, CaseId, PersonId};
    use siso_domain::money::Money;
    let cache = tempfile::tempdir()?;
    let runtime = Runtime::new(RuntimeConfig::new(cache.path()))?;
    let env = CallEnv { limits: runtime.default_limits(), ..CallEnv::default() };
    let mut subject = fixtures::subject();
    subject.intervention.monthly_amount = Some(Money::from_euro(1200));
    subject.intervention.requested_amount = Money::from_euro(12_000);
    subject.assessments.push(Assessment {
        id: AssessmentId(1),
        case_id: CaseId(1),
        person_id: PersonId(1),
        instrument: Instrument::Svama,
        assessed_on: fixtures::date(2026, 10, 1),
        assessor: "UVM".into(),
        recorded_by: None,
        answers: vec![("fna_condition".into(), "gravissima".into())],
        score: None,
        sina: Some(SinaBlock {
            mobility: Some(3),
            daily_living: Some(3),
            cognitive: Some(2),
            behavioural: Some(1),
            health_need: Some(3),
            income: Some(2),
            support_network: Some(2),
            source: Some(1),
            instrument: Some(1),
            invalidity_source: None,
            civil_invalidity: Vec::new(),
            needed_benefits: Vec::new(),
        }),
    });
    let copay = r#"{"bands": [{"up_to_cents": 1500000, "percent": 20}, {"up_to_cents": null, "fixed_cents": 30000}]}"#;
    for (dir, local, inps, settings) in [
        ("plugins/umbria", "UMB-ASS-CURA", "A1.11", "{}"),
        ("plugins/lazio", "FNA-ADC", "A1.11", "{}"),
        ("plugins/rete-comuni", "CONTR-ECO", "A1.04", "{}"),
        ("plugins/compartecipazione", "SAD", "A2.07", copay),
    ] {
        let wasm = build_component(root().join(dir))?;
        let plugin = runtime.load(&manifest(dir)?, &std::fs::read(&wasm)?)?;
        let mut ctx = fixtures::context();
        ctx.settings = settings.into();
        let mut s = subject.clone();
        s.catalogue_entry.local_code = local.into();
        s.catalogue_entry.inps_code = inps.into();
        let change = fixtures::authorisation(s.clone());
        let mut h = Histogram::<u64>::new(3)?;
        for i in 0..11_000 {
            let t = Instant::now();
            let answered = if dir.ends_with("compartecipazione") {
                runtime.co_payment(&plugin, &env, &ctx, &s).await?.is_ok()
            } else {
                runtime.validate(&plugin, &env, &ctx, &change).await?.is_ok()
            };
            let ns = t.elapsed().as_nanos() as u64;
            if !answered {
                bail!("{dir} did not answer");
            }
            if i >= 1_000 {
                h.record(ns)?;
            }
        }
        println!(
            "6. {dir} ({} KiB): p50 {:.1} µs, p99 {:.1} µs ({} calls)",
            std::fs::metadata(&wasm)?.len() / 1024,
            us(&h, 0.5),
            us(&h, 0.99),
            h.len()
        );
    }
    Ok(())
}

/// Measurement 7: another administration's service while a hostile plug-in runs in one: the
/// release server on SQLite (or `SISO_BENCH_PG`), the fault test plug-in enabled for Regione
/// Umbria in one mode at a time (a deadline of one second, quarantine out of the way), four
/// clients opening cases in Perugia without pause, while one client in Lecce reads a person
/// (personal data: an access-log write) and registers a person, 1,000 times each; first without
/// the Perugia load ("quiet"), then with it and a well-behaved plug-in (`ok`: the neighbour's
/// load alone), then with each hostile mode. The server's peak resident memory at the end.
fn hostile_neighbours(faulty: &Path) -> anyhow::Result<()> {
    let bin = std::env::current_exe()?.with_file_name("siso");
    if !bin.exists() {
        bail!("build the server first: cargo build --release -p siso");
    }
    let dir = tempfile::tempdir()?;
    let db = match std::env::var("SISO_BENCH_PG") {
        Ok(admin) => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                let a = sea_orm::Database::connect(&admin).await?;
                a.execute_unprepared("DROP DATABASE IF EXISTS siso_hostile_bench WITH (FORCE)").await?;
                a.execute_unprepared("CREATE DATABASE siso_hostile_bench").await?;
                a.close().await?;
                anyhow::Ok(())
            })?;
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
            format!("{base}/siso_hostile_bench")
        }
        Err(_) => format!("sqlite://{}/hostile.db", dir.path().display()),
    };
    let env = [
        ("SISO__DATABASE__URL", db.as_str()),
        ("SISO__PLUGINS__DEVELOPMENT", "true"),
        ("SISO__PLUGINS__QUARANTINE_AFTER", "1000000000"),
        ("SISO__API__AUTH__DEV_LOGIN", "true"),
        ("SISO__LOG__FILTER", "error"),
        ("SISO__SERVER__LISTEN", "127.0.0.1:0"),
        ("SISO__CLOCK__FIXED_NOW", "2026-11-26T10:00:00Z"),
    ];
    let run = |args: &[&str]| -> anyhow::Result<()> {
        let out = Command::new(&bin).args(args).envs(env).current_dir(dir.path()).output()?;
        if !out.status.success() {
            bail!("siso {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    run(&["seed-demo"])?;
    let p = dir.path().join("faulty.sisoplugin");
    std::fs::write(&p, package("plugins/testing/faulty", faulty, Some("test.faulty"))?)?;
    run(&["plugin", "install", &p.display().to_string()])?;
    let mut child = Command::new(&bin).arg("serve").envs(env).current_dir(dir.path()).stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut url = None;
    for line in BufReader::new(stdout).lines() {
        if let Some(u) = line?.strip_prefix("siso listening on ") {
            url = Some(u.trim().to_string());
            break;
        }
    }
    let url = url.context("the server did not start")?;
    let pid = child.id();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let r = rt.block_on(hostile_load(&url, pid));
    let _ = child.kill();
    let _ = child.wait();
    r
}

/// A GraphQL client signing in demo operators by name.
#[derive(Clone)]
struct Gql {
    http: reqwest::Client,
    url: String,
}

impl Gql {
    async fn call(&self, op: &str, query: &str, vars: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let body = serde_json::json!({ "query": query, "variables": vars });
        let r = self.http.post(&self.url).header("x-siso-operator", op).json(&body);
        Ok(r.send().await?.json().await?)
    }
}

async fn hostile_load(url: &str, pid: u32) -> anyhow::Result<()> {
    use serde_json::{Value, json};
    let client = Gql {
        http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
        url: format!("{url}/graphql"),
    };
    let gql = |op: &'static str, query: &'static str, vars: Value| client.call(op, query, vars);
    let id = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let d = gql("plugins.umbria", r#"mutation { enablePlugin(input: { plugin: "test.faulty", orgUnitId: "1", settings: "{\"mode\":\"ok\"}" }) { errors { code } } }"#, json!({})).await?;
    if d["data"]["enablePlugin"]["errors"] != json!([]) {
        bail!("enable: {d}");
    }
    let d = gql(
        "plugins.umbria",
        r#"mutation { setPluginLimits(plugin: "test.faulty", orgUnitId: "1", timeoutMs: 1000) { errors { code } } }"#,
        json!({}),
    )
    .await?;
    if d["data"]["setPluginLimits"]["errors"] != json!([]) {
        bail!("limits: {d}");
    }
    let d = gql("op.lecce", "{ me { orgUnit { id } } }", json!({})).await?;
    let lecce = id(&d["data"]["me"]["orgUnit"]["id"]);
    const CREATE: &str = r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "Greco", givenName: "Anna", sex: F, birthDate: "1950-02-03" }) { person { id } errors { code } } }"#;
    let d = gql("op.lecce", CREATE, json!({ "o": lecce })).await?;
    let person = id(&d["data"]["createPerson"]["person"]["id"]);
    let d =
        gql("op.perugia", "{ me { orgUnit { id } } persons(first: 1) { edges { node { id } } } }", json!({})).await?;
    let (perugia, perugia_person) =
        (id(&d["data"]["me"]["orgUnit"]["id"]), id(&d["data"]["persons"]["edges"][0]["node"]["id"]));
    const OPEN: &str = r#"mutation($p: ID!, $o: ID!) { openCase(input: { personId: $p, orgUnitId: $o, area: elderly, openedOn: "2026-11-20" }) { case { id } errors { code } } }"#;

    let measure = async || -> anyhow::Result<(Histogram<u64>, Histogram<u64>)> {
        let (mut reads, mut writes) = (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
        for _ in 0..1000 {
            let t = Instant::now();
            let v = gql("op.lecce", "query($p: ID!) { person(id: $p) { surname } }", json!({ "p": person })).await?;
            reads.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))?;
            if v["data"]["person"]["surname"] != "Greco" {
                bail!("read: {v}");
            }
            let t = Instant::now();
            let v = gql("op.lecce", CREATE, json!({ "o": lecce })).await?;
            writes.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))?;
            if v["data"]["createPerson"]["errors"] != json!([]) {
                bail!("write: {v}");
            }
        }
        Ok((reads, writes))
    };
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let (qr, qw) = measure().await?;
    println!(
        "7. quiet: Lecce reads p50 {:.2} ms, p99 {:.2} ms; writes p50 {:.2} ms, p99 {:.2} ms",
        ms(&qr, 0.5),
        ms(&qr, 0.99),
        ms(&qw, 0.5),
        ms(&qw, 0.99)
    );
    for mode in ["ok", "sleep", "loop", "oom", "alias"] {
        let settings = format!(r#"{{"mode":"{mode}"}}"#);
        let d = gql(
            "plugins.umbria",
            r#"mutation($s: String!) { enablePlugin(input: { plugin: "test.faulty", orgUnitId: "1", settings: $s }) { errors { code } } }"#,
            json!({ "s": settings }),
        )
        .await?;
        if d["data"]["enablePlugin"]["errors"] != json!([]) {
            bail!("enable {mode}: {d}");
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut hostile = Vec::new();
        let calls = Arc::new(std::sync::atomic::AtomicU64::new(0));
        for _ in 0..4 {
            let (stop, calls, client) = (stop.clone(), calls.clone(), client.clone());
            let vars = json!({ "p": perugia_person, "o": perugia });
            hostile.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = client.call("op.perugia", OPEN, vars.clone()).await;
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (r, w) = measure().await?;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for h in hostile {
            let _ = h.await;
        }
        println!(
            "7. {mode:>5}: Lecce reads p50 {:.2} ms, p99 {:.2} ms ({:.2}x quiet); writes p50 {:.2} ms, p99 {:.2} ms ({:.2}x quiet); {} hostile calls",
            ms(&r, 0.5),
            ms(&r, 0.99),
            ms(&r, 0.99) / ms(&qr, 0.99),
            ms(&w, 0.5),
            ms(&w, 0.99),
            ms(&w, 0.99) / ms(&qw, 0.99),
            calls.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let peak = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).unwrap_or("?").trim().to_string();
    println!("7. the server's peak resident memory: {peak}");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let template = build_component(root().join("plugins/template"))?;
    let faulty = build_component(root().join("plugins/testing/faulty"))?;
    let legacy = build_component_with(root().join("tests/plugins/legacy"), &[])?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // `SISO_BENCH_ONLY=3` runs one measurement (for profiling).
    let only = std::env::var("SISO_BENCH_ONLY").ok();
    let run = |n: &str| only.as_deref().is_none_or(|o| o == n);
    if run("1") {
        rt.block_on(instantiate_and_call(&template))?;
    }
    if run("3") {
        rt.block_on(hook_overhead(&faulty, &legacy))?;
    }
    if run("4") {
        compile_large()?;
    }
    if run("5") {
        server_start(&template, &faulty, &legacy)?;
    }
    if run("6") {
        rt.block_on(administrations())?;
    }
    if run("7") {
        hostile_neighbours(&faulty)?;
    }
    Ok(())
}
