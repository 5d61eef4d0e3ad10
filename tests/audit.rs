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
