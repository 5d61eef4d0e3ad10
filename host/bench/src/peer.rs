//! The peer of the side-by-side benchmark: PostGraphile 5 (`host/bench/postgraphile/`, pinned
//! by its lockfile, Node 22 from npm) introspecting the same PostgreSQL tables, and the
//! comparison of what both servers answer for the same ids.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// (a) in PostGraphile's generated schema.
pub const CASE_BY_ID: &str = include_str!("../postgraphile/queries/case-by-id.graphql");
/// (b) in PostGraphile's generated schema.
pub const CASE_PAGE: &str = include_str!("../postgraphile/queries/case-page.graphql");

/// A running PostGraphile, stopped when dropped.
pub struct Peer {
    child: Child,
    /// Its GraphQL endpoint.
    pub endpoint: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The directory of the PostGraphile package.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("postgraphile")
}

/// Installs the package from its lockfile when it is not installed yet (`npm ci`).
fn install(dir: &Path) -> anyhow::Result<()> {
    if dir.join("node_modules/.bin/node").exists() && dir.join("node_modules/postgraphile").exists() {
        return Ok(());
    }
    println!("installing PostGraphile from its lockfile (npm ci)...");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .context("run npm ci (is npm installed?)")?;
    if !status.success() {
        bail!("npm ci failed in {}", dir.display());
    }
    Ok(())
}

/// Starts PostGraphile on a free port over `db_url` with a pool of `pool` connections, and
/// waits until it has built its schema and listens.
pub fn start(db_url: &str, pool: usize) -> anyhow::Result<Peer> {
    let dir = dir();
    install(&dir)?;
    // Node 22 from the lockfile, run directly: one process, which a kill stops.
    let mut child = Command::new(dir.join("node_modules/.bin/node"))
        .arg("server.mjs")
        .current_dir(&dir)
        .env("DATABASE_URL", db_url)
        .env("PORT", "0")
        .env("POOL", pool.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .context("start PostGraphile")?;
    match crate::listening(&mut child, "listening on ") {
        Ok(endpoint) => Ok(Peer { child, endpoint }),
        Err(e) => {
            let _ = child.kill();
            Err(e.context("PostGraphile exited before listening"))
        }
    }
}

/// A decimal euro string ("1234.5", "-3.07", "12") as integer cents, exactly.
fn cents(v: &Value) -> Option<i64> {
    let s = v.as_str()?;
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let c = int.parse::<i64>().ok()? * 100 + format!("{frac:0<2}").parse::<i64>().ok()?;
    Some(if neg { -c } else { c })
}

/// An integer given as a JSON number or string (PostGraphile prints `BigInt` as a string,
/// we print ids as strings).
fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The database key of one of our global ids.
fn key(v: &Value) -> Option<i64> {
    v.as_str().and_then(siso_api::scalars::decode_global_id).map(|(_, k)| k)
}

fn list(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// Our (a) answer in the common shape.
pub fn ours_case(data: &Value) -> Value {
    let c = &data["case"];
    if c.is_null() {
        return Value::Null;
    }
    let p = &c["person"];
    let plan = &c["plan"];
    json!({
        "id": key(&c["id"]), "state": c["state"], "area": c["area"], "openedOn": c["openedOn"],
        "person": if p.is_null() { Value::Null } else {
            json!({ "id": key(&p["id"]), "surname": p["surname"], "givenName": p["givenName"], "birthDate": p["birthDate"] })
        },
        "plan": if plan.is_null() { Value::Null } else {
            json!({ "kind": plan["kind"], "nextReviewOn": plan["nextReviewOn"],
                "objectives": list(&plan["objectives"]).map(|o| json!({ "term": o["term"], "description": o["description"] })).collect::<Vec<_>>() })
        },
        "interventions": list(&c["interventions"]).map(|i| json!({
            "id": key(&i["id"]), "state": i["state"],
            "authorised": cents(&i["authorisedAmount"]), "disbursed": cents(&i["disbursedAmount"]),
            "disbursements": list(&i["disbursements"]).map(|d| json!({
                "amount": cents(&d["amount"]), "paidOn": d["paidOn"], "periodFrom": d["periodFrom"], "periodTo": d["periodTo"],
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// PostGraphile's (a) answer in the common shape.
pub fn peer_case(data: &Value) -> Value {
    let c = &data["caseByRowId"];
    if c.is_null() {
        return Value::Null;
    }
    let p = &c["personByPersonId"];
    let plan = &c["plansByCaseId"]["nodes"][0];
    json!({
        "id": int(&c["rowId"]), "state": c["state"], "area": c["area"], "openedOn": c["openedOn"],
        "person": if p.is_null() { Value::Null } else {
            json!({ "id": int(&p["rowId"]), "surname": p["surname"], "givenName": p["givenName"], "birthDate": p["birthDate"] })
        },
        "plan": if plan.is_null() { Value::Null } else {
            json!({ "kind": plan["kind"], "nextReviewOn": plan["nextReviewOn"],
                "objectives": list(&plan["planObjectivesByPlanId"]["nodes"]).map(|o| json!({ "term": o["term"], "description": o["description"] })).collect::<Vec<_>>() })
        },
        "interventions": list(&c["interventionsByCaseId"]["nodes"]).map(|i| json!({
            "id": int(&i["rowId"]), "state": i["state"],
            "authorised": int(&i["authorisedCents"]), "disbursed": int(&i["disbursedCents"]),
            "disbursements": list(&i["disbursementsByInterventionId"]["nodes"]).map(|d| json!({
                "amount": int(&d["amountCents"]), "paidOn": d["paidOn"], "periodFrom": d["periodFrom"], "periodTo": d["periodTo"],
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Our (b) answer in the common shape.
pub fn ours_page(data: &Value) -> Value {
    let c = &data["cases"];
    json!({
        "hasNextPage": c["pageInfo"]["hasNextPage"],
        "cases": list(&c["edges"]).map(|e| {
            let n = &e["node"];
            json!({ "id": key(&n["id"]), "state": n["state"], "area": n["area"], "openedOn": n["openedOn"],
                "person": { "surname": n["person"]["surname"], "givenName": n["person"]["givenName"] } })
        }).collect::<Vec<_>>(),
    })
}

/// PostGraphile's (b) answer in the common shape.
pub fn peer_page(data: &Value) -> Value {
    let c = &data["allCases"];
    json!({
        "hasNextPage": c["pageInfo"]["hasNextPage"],
        "cases": list(&c["edges"]).map(|e| {
            let n = &e["node"];
            let p = &n["personByPersonId"];
            json!({ "id": int(&n["rowId"]), "state": n["state"], "area": n["area"], "openedOn": n["openedOn"],
                "person": { "surname": p["surname"], "givenName": p["givenName"] } })
        }).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euro_strings_become_exact_cents() {
        for (s, c) in [("1234.5", Some(123_450)), ("-3.07", Some(-307)), ("12", Some(1200)), ("0.1", Some(10))] {
            assert_eq!(cents(&json!(s)), c, "{s}");
        }
        for bad in ["1.234", "x", "1.a", ""] {
            assert_eq!(cents(&json!(bad)), None, "{bad}");
        }
    }

    #[test]
    fn both_shapes_meet() {
        use siso_api::scalars::id;
        use siso_domain::ids::{CaseId, InterventionId, PersonId};
        let ours = json!({ "case": { "id": id(CaseId(7)), "state": "open", "area": "elderly", "openedOn": "2026-01-02",
            "person": { "id": id(PersonId(3)), "surname": "Rossi", "givenName": "Ada", "birthDate": "1940-01-01" },
            "plan": null,
            "interventions": [{ "id": id(InterventionId(9)), "state": "active", "authorisedAmount": "100.50", "disbursedAmount": "0",
                "disbursements": [{ "amount": "10", "paidOn": "2026-02-01", "periodFrom": "2026-01-01", "periodTo": "2026-01-31" }] }] } });
        let peer = json!({ "caseByRowId": { "rowId": "7", "state": "open", "area": "elderly", "openedOn": "2026-01-02",
            "personByPersonId": { "rowId": "3", "surname": "Rossi", "givenName": "Ada", "birthDate": "1940-01-01" },
            "plansByCaseId": { "nodes": [] },
            "interventionsByCaseId": { "nodes": [{ "rowId": "9", "state": "active", "authorisedCents": "10050", "disbursedCents": "0",
                "disbursementsByInterventionId": { "nodes": [{ "amountCents": "1000", "paidOn": "2026-02-01", "periodFrom": "2026-01-01", "periodTo": "2026-01-31" }] } }] } } });
        assert_eq!(ours_case(&ours), peer_case(&peer));
        let mut other = peer.clone();
        other["caseByRowId"]["interventionsByCaseId"]["nodes"][0]["authorisedCents"] = json!("10051");
        assert_ne!(ours_case(&ours), peer_case(&other));
    }
}
