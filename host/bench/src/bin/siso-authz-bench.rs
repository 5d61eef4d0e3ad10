//! `siso-authz-bench`: the authorization figures (docs/benchmarks.md, "Authorization").
//!
//! ```text
//! cargo build --release -p siso-bench
//! target/release/siso-authz-bench [--units 10000] [--lines 100000]
//! ```
//! On a real SQLite file (or PostgreSQL with `SISO_BENCH_PG_URL`): a hierarchy of `--units`
//! organisation units (regions → ambiti → comuni → offices) and `--lines` casbin policy lines
//! (the role permissions plus grants of subjects in random units). Measures
//! 1. loading the policy (casbin enforcer over our table, plus the unit tree);
//! 2. deciding one subject's access (casbin enforce for each of its units), once per policy
//!    generation and subject;
//! 3. the check of one record (`Access::allows`), and of a page of 50 records, as a request
//!    pays them once the subject's access is known (cached lookup included);
//! 4. the list restriction of a request (`App::read_scope`) for an office operator and for a
//!    region-wide coordinator.

// Timing figures, not money: floating point is fine here.
#![allow(clippy::float_arithmetic)]

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use sea_orm::Value;
use siso_app::authz::Action;
use siso_app::plugins::{PluginConfig, Plugins};
use siso_app::{Actor, App};
use siso_domain::clock::{Clock, FixedClock};
use siso_domain::ids::{OperatorId, OrgUnitId};
use siso_store::generate::Rng;
use siso_store::{DbConfig, Store};

/// A number below `n`.
fn below(rng: &mut Rng, n: usize) -> usize {
    usize::try_from(rng.below(n as u64)).unwrap_or(0)
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n_units = arg("--units", 10_000);
    let n_lines = arg("--lines", 100_000);
    let dir = tempfile::tempdir()?;
    let url = match std::env::var("SISO_BENCH_PG_URL") {
        Ok(u) => u,
        Err(_) => format!("sqlite://{}/authz-bench.db", dir.path().display()),
    };
    let store = Store::connect(&DbConfig { url: url.clone(), ..DbConfig::default() }).await?;
    store.migrate().await?;
    let clock = Arc::new(FixedClock::new(chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")?.to_utc()));
    let plugins = Arc::new(Plugins::new(store.clone(), clock.clone(), PluginConfig::new(dir.path().join("cache")))?);
    let app = App::new(store.clone(), clock.clone(), plugins);
    let now = clock.now();

    // The hierarchy: 1% regions, 9% ambiti, 30% comuni, 60% offices, each under a random unit
    // of the level above.
    let base = siso_store::bulk::max_id(&store, "org_units").await? + 1;
    let mut rng = Rng(0x5150_2026);
    let mut levels: Vec<Vec<i64>> = vec![Vec::new(); 4];
    let mut unit_rows = Vec::with_capacity(n_units);
    let shares = [0.01, 0.10, 0.40, 1.0];
    let kinds = ["region", "ambito", "comune", "office"];
    for i in 0..n_units {
        let id = base + i as i64;
        let pos = i as f64 / n_units as f64;
        let level = shares.iter().position(|&s| pos < s).unwrap_or(3);
        let parent = if level == 0 || levels[level - 1].is_empty() {
            None
        } else {
            let above = &levels[level - 1];
            Some(above[below(&mut rng, above.len())])
        };
        levels[level].push(id);
        unit_rows.push(vec![
            Value::from(id),
            Value::from(parent),
            Value::from(kinds[level]),
            Value::from(format!("Unit {id}")),
            Value::from(now),
        ]);
    }
    let tx = store.begin().await?;
    siso_store::bulk::insert_rows(&tx, "org_units", &["id", "parent_id", "kind", "name", "created_at"], unit_rows)
        .await?;
    // Grants: subjects holding operator-like roles in random offices and comuni, some
    // coordinators in ambiti, until the table holds `n_lines` lines with the role permissions.
    let existing = siso_store::repo::authz::all(&tx).await?.len();
    let roles = ["operator", "office_head", "administrative", "paymaster"];
    let mut rule_rows = Vec::new();
    let mut subject = 0usize;
    let mut seen = std::collections::HashSet::new();
    while existing + rule_rows.len() < n_lines {
        subject += 1;
        for _ in 0..5 {
            let (role, unit) = if below(&mut rng, 20) == 0 {
                ("ambito_coordinator", levels[1][below(&mut rng, levels[1].len())])
            } else {
                let l = if below(&mut rng, 3) == 0 { 2 } else { 3 };
                (roles[below(&mut rng, roles.len())], levels[l][below(&mut rng, levels[l].len())])
            };
            let line = (format!("op:{}", 1_000_000 + subject), role, unit.to_string());
            if seen.insert(line.clone()) && existing + rule_rows.len() < n_lines {
                rule_rows.push(vec![Value::from("g"), Value::from(line.0), Value::from(line.1), Value::from(line.2)]);
            }
        }
    }
    siso_store::bulk::insert_rows(&tx, "authz_rules", &["ptype", "v0", "v1", "v2"], rule_rows).await?;
    siso_store::repo::authz::bump_generation(&tx).await?;
    tx.commit().await?;
    let subjects = subject;
    println!("{n_units} units, {n_lines} policy lines ({subjects} subjects), {}", url.split(':').next().unwrap_or(""));

    // 1. Loading the policy.
    let started = Instant::now();
    app.authz().refresh().await?;
    println!("policy load (enforcer + unit tree): {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);

    // 2. Deciding a subject's access, uncached.
    let mut decide = Histogram::<u64>::new(3)?;
    for s in 1..=subjects.min(2_000) {
        let t = Instant::now();
        let _ = app.authz().access(&format!("op:{}", 1_000_000 + s)).await?;
        decide.record(t.elapsed().as_nanos() as u64)?;
    }
    println!(
        "access of a subject, first time in a generation: p50 {:.1} µs, p99 {:.1} µs",
        us(&decide, 0.5),
        us(&decide, 0.99)
    );

    // 3. Checks of records owned by random units, as a request pays them: the cached access
    //    lookup once, then one check per record.
    let all_units: Vec<i64> = levels.iter().flatten().copied().collect();
    let mut per_record = Histogram::<u64>::new(3)?;
    let mut per_page = Histogram::<u64>::new(3)?;
    let mut allowed = 0usize;
    let mut checked = 0usize;
    for round in 0..20_000 {
        let s = 1 + round % subjects.min(2_000);
        let owners: Vec<OrgUnitId> = (0..50).map(|_| OrgUnitId(all_units[below(&mut rng, all_units.len())])).collect();
        let t = Instant::now();
        let access = app.authz().access(&format!("op:{}", 1_000_000 + s)).await?;
        let actor = Actor {
            on_behalf_of: None,
            operator_id: Some(OperatorId(1_000_000 + s as i64)),
            label: "bench".into(),
            org_unit_id: owners[0],
            roles: Vec::new(),
            access,
            reads: None,
            purpose: None,
        };
        let mut ok = 0;
        for &o in &owners {
            if actor.access.allows(Action::ReadCase, o) {
                ok += 1;
            }
        }
        let page = t.elapsed().as_nanos() as u64;
        per_page.record(page)?;
        per_record.record(page / 50)?;
        allowed += ok;
        checked += 50;
    }
    println!(
        "check per record: p50 {:.3} µs, p99 {:.3} µs; page of 50 (with the access lookup): p50 {:.1} µs, p99 {:.1} µs ({allowed} of {checked} allowed)",
        us(&per_record, 0.5),
        us(&per_record, 0.99),
        us(&per_page, 0.5),
        us(&per_page, 0.99)
    );

    // 4. The list restriction of a request.
    let office_subject = "op:1000001";
    let coordinator = format!("op:{}", 1_000_000 + subjects + 1);
    let region = levels[0][0];
    let tx = store.begin().await?;
    siso_store::repo::authz::add(
        &tx,
        &siso_store::repo::authz::Rule::grant(&coordinator, "ambito_coordinator", &region.to_string()),
    )
    .await?;
    siso_store::repo::authz::bump_generation(&tx).await?;
    tx.commit().await?;
    app.authz().refresh().await?;
    for (who, subject) in [("office operator", office_subject.to_string()), ("region-wide coordinator", coordinator)] {
        let access = app.authz().access(&subject).await?;
        let actor = Actor {
            on_behalf_of: None,
            operator_id: None,
            label: "bench".into(),
            org_unit_id: OrgUnitId(region),
            roles: Vec::new(),
            access,
            reads: None,
            purpose: None,
        };
        let mut h = Histogram::<u64>::new(3)?;
        let mut size = String::new();
        for _ in 0..2_000 {
            let t = Instant::now();
            let scope = app.read_scope(&actor, Action::ReadCase, None).await?;
            h.record(t.elapsed().as_nanos() as u64)?;
            size = match scope {
                Some(siso_store::repo::Units::Only(u)) => format!("{} units listed", u.len()),
                Some(siso_store::repo::Units::Below(r)) => format!("{} subtree roots, through the closure", r.len()),
                None => "everywhere".into(),
            };
        }
        println!("list restriction, {who} ({size}): p50 {:.1} µs, p99 {:.1} µs", us(&h, 0.5), us(&h, 0.99));
    }
    drop(dir);
    Ok(())
}
