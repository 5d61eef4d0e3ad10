//! Durability under a crash: the server is killed with SIGKILL in the middle of a mixed load
//! (commitments on a funding line, payments of an intervention, reads of that intervention),
//! on SQLite and on PostgreSQL, and restarted on the same database. Every write the server
//! acknowledged is there with its amount, nothing is half-written (every running total equals
//! the sum of its records, every payment has its access-log event), every read that was
//! answered has its access-log event, the access log's chain verifies, and the restarted
//! server goes on writing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Db, Server, s};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// Acknowledged writes before the kill: enough that the kill lands in a running load.
const ACKED_BEFORE_KILL: usize = 150;

const COMMIT: &str = r#"mutation($l: ID!, $a: Money!) { commitFunds(fundingLineId: $l, amount: $a) { commitment { id amount } errors { code } } }"#;
const PAY: &str = r#"mutation($i: ID!, $a: Money!) { recordDisbursement(input: { interventionId: $i, amount: $a, paidOn: "2026-07-01", periodFrom: "2026-06-01", periodTo: "2026-06-30" }) { disbursement { id amount } errors { code } } }"#;
const READ: &str = "query($i: ID!) { intervention(id: $i) { id state disbursedAmount } }";

/// What the server acknowledged: (kind, id, amount in cents).
#[derive(Default)]
struct Acks {
    writes: Mutex<Vec<(&'static str, i64, i64)>>,
    reads: AtomicUsize,
}

impl Acks {
    fn writes(&self) -> usize {
        self.writes.lock().unwrap().len()
    }
}

/// "12.34" → 1234.
fn cents(v: &Value) -> i64 {
    let t = v.as_str().expect("amount");
    let (units, frac) = t.split_once('.').unwrap_or((t, "0"));
    units.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}")[..2].parse::<i64>().unwrap()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no row: {sql}"));
    row.try_get_by_index::<i64>(0).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Records that contradict their running totals; payments of `intervention` without their
/// access-log event.
async fn inconsistencies(db: &DatabaseConnection, intervention: &str) -> (i64, i64, i64) {
    let intervention = common::key(intervention);
    let lines = scalar(
        db,
        "SELECT COUNT(*) FROM funding_lines f WHERE f.committed_cents <> \
         (SELECT COALESCE(SUM(CASE WHEN c.kind = 'release' THEN -c.amount_cents ELSE c.amount_cents END), 0) \
          FROM commitments c WHERE c.funding_line_id = f.id)",
    )
    .await;
    let interventions = scalar(
        db,
        "SELECT COUNT(*) FROM interventions i WHERE i.disbursed_cents <> \
         (SELECT COALESCE(SUM(d.amount_cents), 0) FROM disbursements d WHERE d.intervention_id = i.id)",
    )
    .await;
    let unlogged = scalar(
        db,
        &format!(
            "SELECT COUNT(*) FROM disbursements d WHERE d.intervention_id = {intervention} AND NOT EXISTS \
             (SELECT 1 FROM audit_events a WHERE a.action = 'disbursement.record' AND a.record_id = d.id)"
        ),
    )
    .await;
    (lines, interventions, unlogged)
}

/// One client's loop: sends `query` until the server stops answering, noting what it
/// acknowledged.
async fn client(server: &Server, operator: &str, kind: &'static str, id: &str, acks: &Acks, stop: &AtomicBool) {
    let mut n: i64 = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        // Amounts vary so that a record written with another's amount would show.
        let amount = format!("{}.{:02}", 1 + n % 3, n % 100);
        let (query, vars) = match kind {
            "commitment" => (COMMIT, json!({ "l": id, "a": amount })),
            "disbursement" => (PAY, json!({ "i": id, "a": amount })),
            _ => (READ, json!({ "i": id })),
        };
        let sent = server
            .http()
            .post(format!("{}/graphql", server.url))
            .header("x-siso-operator", operator)
            .json(&json!({ "query": query, "variables": vars }))
            .send()
            .await;
        // The connection dies with the server: every request from here on is unanswered.
        let Ok(resp) = sent else { return };
        let Ok(v) = resp.json::<Value>().await else { return };
        match kind {
            "read" => {
                assert_eq!(v["data"]["intervention"]["id"], json!(id), "{v}");
                acks.reads.fetch_add(1, Ordering::SeqCst);
            }
            _ => {
                let field = if kind == "commitment" { "commitFunds" } else { "recordDisbursement" };
                let record = &v["data"][field][kind];
                assert!(record["id"].is_string(), "a write of the load failed: {v}");
                assert_eq!(cents(&record["amount"]), cents(&json!(amount)));
                acks.writes.lock().unwrap().push((kind, common::key(&s(&record["id"])), cents(&record["amount"])));
            }
        }
    }
}

async fn crash(db: Db) {
    let mut server = Server::start(db).await;
    let d = server
        .data("amm.perugia", "{ orgUnits { id name } funds { id kind } catalogue { id localCode } }", json!({}))
        .await;
    let pick = |list: &Value, field: &str, value: &str| {
        list.as_array().unwrap().iter().find(|u| u[field] == value).map(|u| s(&u["id"])).unwrap()
    };
    let comune = pick(&d["orgUnits"], "name", "Comune di Perugia");
    let fund = pick(&d["funds"], "kind", "poverty");
    let sad = pick(&d["catalogue"], "localCode", "SAD");
    let d = server
        .data("amm.perugia", r#"mutation($f: ID!, $o: ID!) { createFundingLine(input: { fundId: $f, orgUnitId: $o, name: "Crash", year: 2026, amount: "1000000" }) { fundingLine { id } errors { code } } }"#, json!({ "f": fund, "o": comune }))
        .await;
    let line = s(&d["createFundingLine"]["fundingLine"]["id"]);
    let d = server
        .data(
            "op.perugia",
            r#"{ cases(filter: { states: [open] }) { edges { node { id orgUnit { name } } } } }"#,
            json!({}),
        )
        .await;
    let case = d["cases"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["orgUnit"]["name"] == "Perugia - Segretariato sociale")
        .map(|e| s(&e["node"]["id"]))
        .unwrap();
    let d = server
        .data("op.perugia", r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "1000000", startsOn: "2026-06-01" }) { intervention { id } errors { code } } }"#, json!({ "c": case, "e": sad }))
        .await;
    assert_eq!(d["requestIntervention"]["errors"], json!([]), "{d}");
    let intervention = s(&d["requestIntervention"]["intervention"]["id"]);
    let d = server.data("amm.perugia", r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "1000000") { errors { code } } }"#, json!({ "i": intervention })).await;
    assert_eq!(d["authoriseIntervention"]["errors"], json!([]), "{d}");
    let d = server
        .data(
            "op.perugia",
            r#"mutation($i: ID!) { activateIntervention(interventionId: $i) { errors { code } } }"#,
            json!({ "i": intervention }),
        )
        .await;
    assert_eq!(d["activateIntervention"]["errors"], json!([]), "{d}");

    let conn = server.db().await;
    assert_eq!(inconsistencies(&conn, &intervention).await, (0, 0, 0), "the data is consistent before the load");
    let (intervention_key, line_key) = (common::key(&intervention), common::key(&line));
    let reads_sql = format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'intervention.read' AND record_id = {intervention_key} \
         AND actor_label = 'op.perugia'"
    );
    let reads_before = scalar(&conn, &reads_sql).await;
    conn.close().await.ok();

    // Three clients commit funds, three record payments, two read; the server dies under them.
    let acks = Acks::default();
    let stop = AtomicBool::new(false);
    let load = async {
        futures::future::join_all(
            [
                ("amm.perugia", "commitment", &line),
                ("amm.perugia", "commitment", &line),
                ("amm.perugia", "commitment", &line),
                ("pay.perugia", "disbursement", &intervention),
                ("pay.perugia", "disbursement", &intervention),
                ("pay.perugia", "disbursement", &intervention),
                ("op.perugia", "read", &intervention),
                ("op.perugia", "read", &intervention),
            ]
            .into_iter()
            .map(|(op, kind, id)| client(&server, op, kind, id, &acks, &stop)),
        )
        .await;
    };
    let pid = server.pid();
    let killer = async {
        let started = Instant::now();
        while acks.writes() < ACKED_BEFORE_KILL && started.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        // Stops the clients should the kill itself have failed (the checks below then fail).
        tokio::time::sleep(Duration::from_secs(5)).await;
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(load, killer);
    let acked: Vec<(&str, i64, i64)> = acks.writes.lock().unwrap().clone();
    let reads = acks.reads.load(Ordering::SeqCst);
    assert!(acked.len() >= ACKED_BEFORE_KILL, "the load did not run: {} writes", acked.len());
    assert!(reads > 0, "no read was answered");
    let kinds = |k: &str| acked.iter().filter(|(kind, _, _)| *kind == k).count();
    assert!(kinds("commitment") > 0 && kinds("disbursement") > 0, "both kinds of write ran");

    eprintln!(
        "{db:?}: killed after {} acknowledged writes ({} commitments, {} payments) and {reads} answered reads",
        acked.len(),
        kinds("commitment"),
        kinds("disbursement")
    );
    server.restart(&[]).await;
    let conn = server.db().await;
    // Every acknowledged write is there, with its amount and on its record.
    for (kind, id, amount) in &acked {
        let (table, owner, owner_id) = match *kind {
            "commitment" => ("commitments", "funding_line_id", &line),
            _ => ("disbursements", "intervention_id", &intervention),
        };
        let found = scalar(
            &conn,
            &format!(
                "SELECT COUNT(*) FROM {table} WHERE id = {} AND amount_cents = {amount} AND {owner} = {}",
                id,
                common::key(owner_id)
            ),
        )
        .await;
        assert_eq!(found, 1, "acknowledged {kind} {id} of {amount} cents is missing after the crash");
    }
    // Nothing half-written, and every answered read has its event.
    assert_eq!(
        inconsistencies(&conn, &intervention).await,
        (0, 0, 0),
        "running totals and records disagree after the crash"
    );
    let logged = scalar(&conn, &reads_sql).await - reads_before;
    assert!(logged >= reads as i64, "{reads} reads answered, {logged} logged");
    let committed =
        scalar(&conn, &format!("SELECT COUNT(*) FROM commitments WHERE funding_line_id = {line_key}")).await;
    let paid =
        scalar(&conn, &format!("SELECT COUNT(*) FROM disbursements WHERE intervention_id = {intervention_key}")).await;
    eprintln!("{db:?}: after the restart {committed} commitments, {paid} payments, {logged} reads logged");
    let stored = scalar(&conn, &format!("SELECT committed_cents FROM funding_lines WHERE id = {line_key}")).await;
    let acked_commitments: i64 = acked.iter().filter(|(k, _, _)| *k == "commitment").map(|(_, _, a)| a).sum();
    assert!(stored >= acked_commitments, "the line holds {stored} cents, {acked_commitments} were acknowledged");
    conn.close().await.ok();

    // The restarted server goes on: it reads what was written and writes more.
    let d = server
        .data(
            "op.perugia",
            "query($i: ID!) { intervention(id: $i) { disbursements { id } } }",
            json!({ "i": intervention }),
        )
        .await;
    assert!(d["intervention"]["disbursements"].as_array().unwrap().len() >= kinds("disbursement"), "{d}");
    let v = server.gql(Some("amm.perugia"), COMMIT, json!({ "l": line, "a": "5.00" })).await;
    assert!(v["data"]["commitFunds"]["commitment"]["id"].is_string(), "{v}");
    let v = server.gql(Some("pay.perugia"), PAY, json!({ "i": intervention, "a": "5.00" })).await;
    assert!(v["data"]["recordDisbursement"]["disbursement"]["id"].is_string(), "{v}");
    let conn = server.db().await;
    assert_eq!(inconsistencies(&conn, &intervention).await, (0, 0, 0));
    conn.close().await.ok();
    let (intact, text) = server.audit(&["verify"]);
    assert!(intact && text.contains("access log intact"), "{text}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_sqlite() {
    crash(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_postgres() {
    crash(Db::Postgres).await;
}
