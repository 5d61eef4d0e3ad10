//! Operations: logs carry no personal data, even at debug level; SIGTERM stops the server
//! cleanly.
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
