//! The access log is a hash chain: `siso audit verify` passes on an untouched log and names
//! the event when one is edited, and detects events removed from the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Db, Server, s};
use sea_orm::ConnectionTrait;
use serde_json::json;

async fn one_row(server: &Server, sql: &str) -> Vec<i64> {
    let db = server.db().await;
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    (0..3).map_while(|k| row.try_get_by_index::<i64>(k).ok()).collect()
}

async fn tampering_is_detected(server: &Server) {
    // A write through the API appends an event too.
    let d = server.data("op.perugia", "{ cases(first: 1) { edges { node { id } } } }", json!({})).await;
    let case = s(&d["cases"]["edges"][0]["node"]["id"]);
    let d = server
        .data(
            "op.perugia",
            r#"mutation($c: ID!) { recordNeed(caseId: $c, code: "economic_hardship", severity: 3, recordedOn: "2026-11-20") { need { id } errors { code } } }"#,
            json!({ "c": case }),
        )
        .await;
    assert!(d["recordNeed"]["need"]["id"].is_string(), "{d}");
    let r = one_row(server, "SELECT COUNT(*), MIN(id), MAX(id) FROM audit_events").await;
    let (events, first, last) = (r[0], r[1], r[2]);
    assert!(events >= 2, "the demo and the request wrote events: {events}");

    let (intact, text) = server.audit(&["verify"]);
    assert!(intact, "{text}");
    assert!(text.contains(&format!("access log intact: {events} events on the chain")), "{text}");

    // Who accessed the demo's people: the DPO's listing is not empty.
    let person = one_row(server, "SELECT MIN(person_id) FROM audit_events WHERE person_id IS NOT NULL").await[0];
    let (ok, listing) = server.audit(&["person", &person.to_string()]);
    assert!(ok && listing.lines().count() >= 1, "{listing}");

    let db = server.db().await;
    // Edit one event in place: its hash no longer matches.
    db.execute_unprepared(&format!("UPDATE audit_events SET action = 'case.read' WHERE id = {first}")).await.unwrap();
    let (intact, text) = server.audit(&["verify"]);
    assert!(!intact, "an edited event must be detected: {text}");
    assert!(text.contains(&format!("event {first}: its fields do not match its hash")), "{text}");

    // Remove the newest event: the head no longer matches the chain.
    db.execute_unprepared(&format!("DELETE FROM audit_events WHERE id = {last}")).await.unwrap();
    let (intact, text) = server.audit(&["verify"]);
    assert!(!intact && text.contains("chain head"), "{text}");
}

mod edited_events_are_detected {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let server = Server::start(Db::Sqlite).await;
        tampering_is_detected(&server).await;
        server.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let server = Server::start(Db::Postgres).await;
        tampering_is_detected(&server).await;
        server.stop().await;
    }
}

/// Finding 17: whoever can write the database can cut events off the access log and fix the
/// chain's head so that the chain alone still checks; a checkpoint signed with a key kept
/// outside the database catches it.
async fn checkpoints_catch_a_rewritten_chain(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("audit.key");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_siso"))
        .args(["plugin", "keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = dir.path().join("checkpoints.jsonl");
    let (key, file) = (key.display().to_string(), file.display().to_string());
    let audit_env =
        [("SISO__AUDIT__CHECKPOINT_KEY_FILE", key.as_str()), ("SISO__AUDIT__CHECKPOINT_FILE", file.as_str())];
    let server = Server::start(db).await;
    let d = server.data("op.perugia", "{ persons(first: 5) { edges { node { id surname } } } }", json!({})).await;
    assert!(d["persons"]["edges"].as_array().is_some_and(|e| !e.is_empty()));

    let (ok, text) = server.siso_env(&["audit", "checkpoint"], &audit_env);
    assert!(ok, "{text}");
    let (intact, text) = server.siso_env(&["audit", "verify"], &audit_env);
    assert!(intact, "{text}");

    // The attack: the newest events removed, the head made to match what is left.
    let r = one_row(&server, "SELECT COUNT(*), MAX(id) FROM audit_events").await;
    let (events, last) = (r[0], r[1]);
    let conn = server.db().await;
    let prev = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT prev_hash FROM audit_events WHERE id = {last}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    conn.execute_unprepared(&format!("DELETE FROM audit_events WHERE id = {last}")).await.unwrap();
    conn.execute_unprepared(&format!(
        "UPDATE audit_chain_head SET last_hash = '{prev}', events = {} WHERE id = 1",
        events - 1
    ))
    .await
    .unwrap();
    // The chain alone still checks...
    let (intact, text) = server.audit(&["verify"]);
    assert!(intact, "without a checkpoint the rewrite is invisible: {text}");
    // ... the signed checkpoint does not.
    let (intact, text) = server.siso_env(&["audit", "verify"], &audit_env);
    assert!(!intact, "{text}");
    assert!(text.contains("signed checkpoint"), "{text}");

    // A checkpoint file whose newest line is forged (not signed by the key) is refused.
    let mut forged: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&file).unwrap().lines().last().unwrap()).unwrap();
    forged["events"] = json!(events - 1);
    std::fs::write(&file, format!("{forged}\n")).unwrap();
    let (intact, text) = server.siso_env(&["audit", "verify"], &audit_env);
    assert!(!intact && text.contains("not signed"), "{text}");
    server.stop().await;
}

mod signed_checkpoints {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        checkpoints_catch_a_rewritten_chain(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        checkpoints_catch_a_rewritten_chain(Db::Postgres).await;
    }
}

/// Finding 17: on PostgreSQL the server runs as a member of `siso_app`, which may add to the
/// access log but never change or remove what is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_role_only_appends_to_the_access_log() {
    let server = Server::start(Db::Postgres).await;
    let login = format!("siso_t_app_{}", std::process::id());
    let admin = sea_orm::Database::connect(common::pg_admin_url()).await.unwrap();
    admin.execute_unprepared(&format!("DROP ROLE IF EXISTS {login}")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE ROLE {login} LOGIN IN ROLE siso_app")).await.unwrap();
    let url = server.db_url.replacen("postgres://postgres@", &format!("postgres://{login}@"), 1);
    assert_ne!(url, server.db_url);
    let app = Server::attach_url(&server, &url, &[]).await;
    // The server works as that role: reads (logged) and writes.
    let d = app.data("op.perugia", "{ persons(first: 5) { edges { node { id } } } }", json!({})).await;
    assert!(d["persons"]["edges"].as_array().is_some_and(|e| !e.is_empty()));
    let d = app.data("op.perugia", "{ me { orgUnit { id } } }", json!({})).await;
    let office = s(&d["me"]["orgUnit"]["id"]);
    let d = app
        .data("op.perugia", r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "Bianchi", givenName: "Eva", sex: F, birthDate: "1970-05-06" }) { person { id } errors { code } } }"#, json!({ "o": office }))
        .await;
    assert!(d["createPerson"]["person"]["id"].is_string(), "{d}");
    // The same role cannot edit or remove access-log events.
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    for sql in ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"] {
        let e = conn.execute_unprepared(sql).await.expect_err(sql);
        assert!(e.to_string().contains("permission denied"), "{sql}: {e}");
    }
    conn.close().await.ok();
    app.stop().await;
    server.stop().await;
    admin.execute_unprepared(&format!("DROP ROLE IF EXISTS {login}")).await.ok();
    admin.close().await.ok();
}

/// No data leaves before the record of its reading is durable: when the access log cannot be
/// written, a read of personal data answers an internal error and none of the data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_data_leaves_without_its_access_log() {
    let server = Server::start(Db::Sqlite).await;
    let query = "{ persons(first: 5) { edges { node { id surname } } } }";
    let d = server.data("op.perugia", query, json!({})).await;
    let surnames: Vec<String> = d["persons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["surname"].as_str().unwrap().to_string())
        .collect();
    assert!(!surnames.is_empty(), "{d}");
    let conn = server.db().await;
    conn.execute_unprepared(
        "CREATE TRIGGER refuse_log BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .await
    .unwrap();
    let v = server.gql(Some("op.perugia"), query, json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "INTERNAL", "{v}");
    assert!(v.get("data").is_none_or(serde_json::Value::is_null), "{v}");
    for surname in &surnames {
        assert!(!v.to_string().contains(surname.as_str()), "data left without its log: {v}");
    }
    // Reads of no personal data still answer.
    let d = server.data("op.perugia", "{ me { username } }", json!({})).await;
    assert_eq!(d["me"]["username"], "op.perugia");
    server.stop().await;
}
