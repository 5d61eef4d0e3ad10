//! Operations: logs carry no personal data, even at debug level; SIGTERM stops the server
//! cleanly; the bulk generator loads consistent data in chunks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Db, Server, s};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_names_or_fiscal_codes_and_sigterm_stops_cleanly() {
    let mut server =
        Server::start_with(Db::Sqlite, &[("SISO__LOG__FILTER", "debug"), ("SISO__LOG__JSON", "true")]).await;
    let d = server.data("op.perugia", "{ orgUnits { id name } }", json!({})).await;
    let office = d["orgUnits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "Perugia - Segretariato sociale")
        .map(|u| s(&u["id"]))
        .unwrap();
    let d = server
        .data("op.perugia", r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, fiscalCode: "RSSMRA85T10A562S", surname: "Quintiliano", givenName: "Zebedeo", sex: M, birthDate: "1985-12-10" }) { person { id } errors { code } } }"#, json!({ "o": office }))
        .await;
    let person = s(&d["createPerson"]["person"]["id"]);
    // A failing request too: errors are where data leaks into logs most often.
    server
        .gql(Some("op.perugia"), r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, fiscalCode: "QNTZBD85T10A562X", surname: "Quintiliano", givenName: "Zebedeo", sex: M, birthDate: "1985-12-10" }) { errors { code } } }"#, json!({ "o": office }))
        .await;
    server.data("op.perugia", "query($p: ID!) { person(id: $p) { surname fiscalCode } }", json!({ "p": person })).await;
    assert!(server.terminate(), "the server must exit cleanly on SIGTERM");
    let log = server.log();
    assert!(log.contains("shutting down"), "the log should record the shutdown: {log}");
    for secret in ["Quintiliano", "Zebedeo", "RSSMRA85T10A562S", "QNTZBD85T10A562X", "quintiliano"] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
}

/// The bulk generator (`siso seed-demo --scale N`) streams its rows in chunks: at a scale past
/// one chunk the counts are exact, every intervention's total equals its disbursements, every
/// disbursement belongs to an active intervention, and the planner has statistics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_loads_consistent_data_past_one_chunk() {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/siso.db", dir.path().display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_siso"))
        .args(["seed-demo", "--scale", "3"])
        .env("SISO__DATABASE__URL", &url)
        .env("SISO__CLOCK__FIXED_NOW", common::NOW)
        .env("SISO__LOG__FILTER", "warn")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("generated 3000 persons, 4500 cases, 30000 disbursements"), "{text}");
    let db = Database::connect(&url).await.unwrap();
    let one = |sql: &str| {
        let db = &db;
        let sql = sql.to_string();
        async move {
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.clone())).await.unwrap();
            row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or_else(|| panic!("{sql}"))
        }
    };
    assert!(one("SELECT COUNT(*) FROM persons").await >= 3_000);
    assert!(one("SELECT COUNT(*) FROM disbursements").await >= 30_000);
    let off = one("SELECT COUNT(*) FROM interventions i WHERE i.disbursed_cents <> \
         (SELECT COALESCE(SUM(d.amount_cents), 0) FROM disbursements d WHERE d.intervention_id = i.id)")
    .await;
    assert_eq!(off, 0, "interventions whose total is not the sum of their disbursements");
    let paid_closed = one("SELECT COUNT(*) FROM disbursements d JOIN interventions i ON i.id = d.intervention_id \
         WHERE i.state = 'closed' AND d.id > (SELECT MAX(id) - 30000 FROM disbursements)")
    .await;
    assert_eq!(paid_closed, 0, "generated disbursements of closed interventions");
    assert!(one("SELECT COUNT(*) FROM sqlite_stat1").await > 0, "ANALYZE did not run after the load");
    db.close().await.ok();
}
