//! `siso-bench`: generates data, starts the real `siso` server and measures latency and
//! throughput of three requests with concurrent clients over HTTP.
//!
//! ```text
//! cargo build --release -p siso -p siso-bench
//! target/release/siso-bench --db postgres --scale 100 --clients 16 --seconds 20
//! ```
//! (a) one case by id with person, plan, interventions and disbursements;
//! (b) a page of 50 cases filtered by organisation and state;
//! (c) the record-disbursement mutation.
//!
//! With `--peer postgraphile` (PostgreSQL only) it also starts PostGraphile over the same
//! database (`host/bench/postgraphile/`), checks that both servers answer the same records for
//! the same ids, and drives both with the same clients for (a) and (b), alternating, printing
//! the ratio of our requests/s to PostGraphile's.

mod peer;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use siso_api::scalars::id;
use siso_domain::ids::{CaseId, InterventionId, OrgUnitId};

#[derive(Debug, Parser)]
struct Args {
    /// sqlite or postgres.
    #[arg(long, default_value = "sqlite")]
    db: String,
    /// Data scale: × (1,000 persons, 1,500 cases, 10,000 disbursements).
    #[arg(long, default_value_t = 100)]
    scale: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// The siso binary (default: next to this one).
    #[arg(long)]
    siso: Option<PathBuf>,
    /// PostgreSQL admin URL.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg_admin: String,
    /// Reuse an already generated database (skip generation).
    #[arg(long)]
    reuse: bool,
    /// Also measure a peer server over the same database: `postgraphile`.
    #[arg(long)]
    peer: Option<String>,
    /// Rounds of the side-by-side runs (each: ours then the peer, for (a) then (b)).
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    /// Cases compared between both servers before measuring (every unit's page is too).
    #[arg(long, default_value_t = 300)]
    check_cases: usize,
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn siso_bin(args: &Args) -> anyhow::Result<PathBuf> {
    if let Some(p) = &args.siso {
        return Ok(p.clone());
    }
    let me = std::env::current_exe()?;
    Ok(me.with_file_name("siso"))
}

async fn prepare_db(args: &Args) -> anyhow::Result<String> {
    match args.db.as_str() {
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("siso-bench-{}.db", args.scale));
            if !args.reuse {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Ok(format!("sqlite://{}", path.display()))
        }
        "postgres" => {
            let name = format!("siso_bench_{}", args.scale);
            if !args.reuse {
                let admin = Database::connect(&args.pg_admin).await.context("PostgreSQL admin connection")?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
                admin.close().await.ok();
            }
            let base = args.pg_admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or_default();
            // A local socket needs no TLS: sqlx would otherwise negotiate it (sslmode=prefer).
            Ok(format!("{base}/{name}?sslmode=disable"))
        }
        other => bail!("unknown database {other}"),
    }
}

fn start_server(bin: &PathBuf, db_url: &str) -> anyhow::Result<Server> {
    let mut child = Command::new(bin)
        .arg("serve")
        .env("SISO__DATABASE__URL", db_url)
        .env("SISO__SERVER__LISTEN", "127.0.0.1:0")
        .env("SISO__LOG__FILTER", "warn")
        .env("SISO__DATABASE__MAX_CONNECTIONS", "16")
        .env("SISO__API__AUTH__DEV_LOGIN", "true")
        .stdout(Stdio::piped())
        .spawn()
        .context("start siso serve")?;
    match listening(&mut child, "siso listening on ") {
        Ok(url) => Ok(Server { child, url }),
        Err(e) => {
            let _ = child.kill();
            Err(e.context("siso serve exited before listening"))
        }
    }
}

/// Reads a child's standard output until the line starting with `prefix` and returns the rest
/// of that line; the output after it is drained by a thread so the child never blocks on it.
fn listening(child: &mut Child, prefix: &str) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.strip_prefix(prefix) {
            std::thread::spawn(move || for _ in lines {});
            return Ok(rest.trim().to_string());
        }
    }
    bail!("the output ended before {prefix:?}")
}

fn peak_rss_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Which server a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Siso,
    PostGraphile,
}

#[derive(Clone, Copy, Debug)]
enum Scenario {
    CaseById,
    CasePage,
    RecordDisbursement,
}

const CASE_BY_ID: &str = "query($id: ID!) { case(id: $id) { id state area openedOn person { id surname givenName birthDate } plan { kind nextReviewOn objectives { term description } } interventions { id state authorisedAmount disbursedAmount disbursements { amount paidOn periodFrom periodTo } } } }";
const CASE_PAGE: &str = "query($o: ID!) { cases(first: 50, filter: { orgUnitId: $o, states: [open] }) { edges { node { id state area openedOn person { surname givenName } } } pageInfo { hasNextPage endCursor } } }";
const DISBURSE: &str = "mutation($i: ID!) { recordDisbursement(input: { interventionId: $i, amount: \"1.00\", paidOn: \"2026-01-31\", periodFrom: \"2026-01-01\", periodTo: \"2026-01-31\" }) { disbursement { id } errors { code } } }";

struct Ctx {
    url: String,
    peer: Option<String>,
    max_case: u64,
    units: Vec<i64>,
    active: Vec<i64>,
}

async fn one(client: &reqwest::Client, ctx: &Ctx, side: Side, s: Scenario, rng: &mut Rng) -> anyhow::Result<bool> {
    if side == Side::PostGraphile {
        let body = match s {
            Scenario::CaseById => {
                json!({ "query": peer::CASE_BY_ID, "variables": { "id": (1 + rng.below(ctx.max_case)).to_string() } })
            }
            Scenario::CasePage => {
                json!({ "query": peer::CASE_PAGE, "variables": { "o": ctx.units[rng.below(ctx.units.len() as u64) as usize].to_string() } })
            }
            Scenario::RecordDisbursement => bail!("the peer is measured on reads only"),
        };
        let endpoint = ctx.peer.as_deref().context("no peer")?;
        let v: Value = client.post(endpoint).json(&body).send().await?.json().await?;
        return Ok(v.get("errors").is_none() && !v["data"].is_null());
    }
    let body = match s {
        Scenario::CaseById => {
            json!({ "query": CASE_BY_ID, "variables": { "id": id(CaseId(1 + rng.below(ctx.max_case) as i64)) } })
        }
        Scenario::CasePage => {
            json!({ "query": CASE_PAGE, "variables": { "o": id(OrgUnitId(ctx.units[rng.below(ctx.units.len() as u64) as usize])) } })
        }
        Scenario::RecordDisbursement => {
            json!({ "query": DISBURSE, "variables": { "i": id(InterventionId(ctx.active[rng.below(ctx.active.len() as u64) as usize])) } })
        }
    };
    let resp =
        client.post(format!("{}/graphql", ctx.url)).header("x-siso-operator", "op.roma1").json(&body).send().await?;
    let v: Value = resp.json().await?;
    let ok = v.get("errors").is_none()
        && match s {
            Scenario::RecordDisbursement => v["data"]["recordDisbursement"]["disbursement"]["id"].is_string(),
            _ => true,
        };
    Ok(ok)
}

struct Outcome {
    p50_us: u64,
    p99_us: u64,
    rps: u64,
    failures: u64,
}

async fn measure(ctx: Arc<Ctx>, side: Side, s: Scenario, clients: usize, seconds: u64) -> anyhow::Result<Outcome> {
    let deadline_warm = Instant::now() + Duration::from_secs(2);
    let failures = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let ctx = ctx.clone();
        let failures = failures.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (c as u64 + 1));
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            while Instant::now() < deadline_warm {
                one(&client, &ctx, side, s, &mut rng).await?;
            }
            let end = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < end {
                let t = Instant::now();
                let ok = one(&client, &ctx, side, s, &mut rng).await?;
                hist.record(t.elapsed().as_micros() as u64)?;
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok(hist)
        }));
    }
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for t in tasks {
        total.add(t.await??)?;
    }
    Ok(Outcome {
        p50_us: total.value_at_quantile(0.5),
        p99_us: total.value_at_quantile(0.99),
        rps: total.len() / seconds.max(1),
        failures: failures.load(Ordering::Relaxed),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = siso_bin(&args)?;
    let db_url = prepare_db(&args).await?;
    if !args.reuse {
        let t = Instant::now();
        let status = Command::new(&bin)
            .args(["seed-demo", "--scale", &args.scale.to_string()])
            .env("SISO__DATABASE__URL", &db_url)
            .env("SISO__LOG__FILTER", "warn")
            .status()?;
        if !status.success() {
            bail!("seed-demo failed");
        }
        println!("data: demo + scale {} generated in {:.1} s ({})", args.scale, t.elapsed().as_secs_f64(), args.db);
    }
    let db = Database::connect(&db_url).await?;
    let backend = db.get_database_backend();
    if !args.reuse {
        // The load runs as op.roma1 reading every generated case and recording payments: give
        // it the operator and paymaster roles in every root unit, so each record still goes
        // through the authorization check.
        for role in ["operator", "paymaster"] {
            db.execute_unprepared(&format!(
                "INSERT INTO authz_rules (ptype, v0, v1, v2) \
                 SELECT 'g', 'op:' || CAST(o.id AS TEXT), '{role}', CAST(u.id AS TEXT) \
                 FROM operators o, org_units u WHERE o.username = 'op.roma1' AND u.parent_id IS NULL"
            ))
            .await?;
        }
        db.execute_unprepared("UPDATE authz_state SET generation = generation + 1").await?;
    }
    let max_case: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(backend, "SELECT MAX(id) FROM cases".to_string()))
        .await?
        .context("no cases")?
        .try_get_by_index(0)?;
    let units: Vec<i64> = db
        .query_all_raw(sea_orm::Statement::from_string(backend, "SELECT DISTINCT org_unit_id FROM cases".to_string()))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .collect();
    let active: Vec<i64> = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT id FROM interventions WHERE state = 'active' AND authorised_cents >= 100000000 AND starts_on <= '2026-01-01' ORDER BY id LIMIT 20000".to_string(),
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .collect();
    db.close().await.ok();
    if active.is_empty() {
        bail!("no intervention to pay: generate data with --scale");
    }
    let server = start_server(&bin, &db_url)?;
    if let Some(name) = &args.peer {
        if name != "postgraphile" || args.db != "postgres" {
            bail!("--peer postgraphile needs --db postgres");
        }
        let pg = peer::start(&db_url, 16)?;
        let ctx = Arc::new(Ctx {
            url: server.url.clone(),
            peer: Some(pg.endpoint.clone()),
            max_case: max_case as u64,
            units,
            active,
        });
        check_same(&ctx, args.check_cases).await?;
        side_by_side(&ctx, &args).await?;
        println!(
            "peak resident memory: siso {} MB, PostGraphile {} MB",
            peak_rss_mb(server.child.id()).unwrap_or(0),
            peak_rss_mb(pg.pid()).unwrap_or(0)
        );
        return Ok(());
    }
    let ctx = Arc::new(Ctx { url: server.url.clone(), peer: None, max_case: max_case as u64, units, active });
    println!("| db | request | clients | p50 ms | p99 ms | requests/s | failures |");
    println!("|---|---|---|---|---|---|---|");
    for (s, clients) in [
        (Scenario::CaseById, 1),
        (Scenario::CaseById, args.clients),
        (Scenario::CasePage, args.clients),
        (Scenario::RecordDisbursement, args.clients),
    ] {
        let o = measure(ctx.clone(), Side::Siso, s, clients, args.seconds).await?;
        println!(
            "| {} | {:?} | {} | {}.{:03} | {}.{:03} | {} | {} |",
            args.db,
            s,
            clients,
            o.p50_us / 1000,
            o.p50_us % 1000,
            o.p99_us / 1000,
            o.p99_us % 1000,
            o.rps,
            o.failures
        );
    }
    println!("server peak resident memory: {} MB", peak_rss_mb(server.child.id()).unwrap_or(0));
    Ok(())
}

/// Asks both servers the same things and stops at the first difference: `cases` random cases
/// for (a), and the first page of every unit for (b).
async fn check_same(ctx: &Ctx, cases: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let peer_endpoint = ctx.peer.as_deref().context("no peer")?;
    let ours = |query: &'static str, variables: Value| {
        let req = client
            .post(format!("{}/graphql", ctx.url))
            .header("x-siso-operator", "op.roma1")
            .json(&json!({ "query": query, "variables": variables }));
        async move { anyhow::Ok(req.send().await?.json::<Value>().await?) }
    };
    let theirs = |query: &'static str, variables: Value| {
        let req = client.post(peer_endpoint).json(&json!({ "query": query, "variables": variables }));
        async move { anyhow::Ok(req.send().await?.json::<Value>().await?) }
    };
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..cases {
        let key = 1 + rng.below(ctx.max_case) as i64;
        let a = ours(CASE_BY_ID, json!({ "id": id(CaseId(key)) })).await?;
        let b = theirs(peer::CASE_BY_ID, json!({ "id": key.to_string() })).await?;
        if a.get("errors").is_some() || b.get("errors").is_some() {
            bail!("case {key}: an error answered (ours: {:?}, PostGraphile: {:?})", a.get("errors"), b.get("errors"));
        }
        if peer::ours_case(&a["data"]) != peer::peer_case(&b["data"]) {
            bail!("case {key}: the two servers answer different records");
        }
    }
    for unit in &ctx.units {
        let a = ours(CASE_PAGE, json!({ "o": id(OrgUnitId(*unit)) })).await?;
        let b = theirs(peer::CASE_PAGE, json!({ "o": unit.to_string() })).await?;
        if peer::ours_page(&a["data"]) != peer::peer_page(&b["data"]) || a.get("errors").is_some() {
            bail!("unit {unit}: the two servers answer different pages");
        }
    }
    println!("check: {cases} cases and the first page of {} units identical on both servers", ctx.units.len());
    Ok(())
}

/// (a) with one client and with `--clients`, and (b) with `--clients`, on both servers in turn,
/// `--rounds` times, with the ratio of requests/s (ours / PostGraphile) of each pair.
async fn side_by_side(ctx: &Arc<Ctx>, args: &Args) -> anyhow::Result<()> {
    println!("| round | request | clients | server | p50 ms | p99 ms | requests/s | failures | ours / PostGraphile |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for round in 1..=args.rounds {
        for (s, clients) in
            [(Scenario::CaseById, 1), (Scenario::CaseById, args.clients), (Scenario::CasePage, args.clients)]
        {
            let ours = measure(ctx.clone(), Side::Siso, s, clients, args.seconds).await?;
            let theirs = measure(ctx.clone(), Side::PostGraphile, s, clients, args.seconds).await?;
            let hundredths = ours.rps * 100 / theirs.rps.max(1);
            for (name, o) in [("siso", &ours), ("PostGraphile", &theirs)] {
                println!(
                    "| {round} | {s:?} | {clients} | {name} | {}.{:03} | {}.{:03} | {} | {} | {} |",
                    o.p50_us / 1000,
                    o.p50_us % 1000,
                    o.p99_us / 1000,
                    o.p99_us % 1000,
                    o.rps,
                    o.failures,
                    if name == "siso" {
                        format!("**{}.{:02}**", hundredths / 100, hundredths % 100)
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    Ok(())
}
