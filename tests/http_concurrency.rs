//! Many parallel requests against one funding line and one intervention: the line is never
//! overspent and the authorised amount never exceeded, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, s};
use serde_json::json;

/// The Comune di Perugia and its poverty fund, where the races below take place.
async fn perugia_comune_and_fund(server: &Server) -> (String, String) {
    let d = server.data("amm.perugia", "{ orgUnits { id name } funds { id kind } }", json!({})).await;
    let comune = d["orgUnits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "Comune di Perugia")
        .map(|u| s(&u["id"]))
        .unwrap();
    let fund = d["funds"].as_array().unwrap().iter().find(|u| u["kind"] == "poverty").map(|u| s(&u["id"])).unwrap();
    (comune, fund)
}

async fn concurrency(server: &Server) {
    let (comune, fund) = perugia_comune_and_fund(server).await;

    // A line of €1,000 and 50 parallel commitments of €30: exactly 33 fit.
    let d = server
        .data("amm.perugia", r#"mutation($f: ID!, $o: ID!) { createFundingLine(input: { fundId: $f, orgUnitId: $o, name: "Race", year: 2026, amount: "1000" }) { fundingLine { id } errors { code } } }"#, json!({ "f": fund, "o": comune }))
        .await;
    let line = s(&d["createFundingLine"]["fundingLine"]["id"]);
    let tasks = (0..50).map(|_| {
        server.gql(Some("amm.perugia"), r#"mutation($l: ID!) { commitFunds(fundingLineId: $l, amount: "30") { commitment { id } errors { code } } }"#, json!({ "l": line }))
    });
    let answers = futures::future::join_all(tasks).await;
    let ok = answers.iter().filter(|a| a["data"]["commitFunds"]["commitment"]["id"].is_string()).count();
    let refused =
        answers.iter().filter(|a| a["data"]["commitFunds"]["errors"][0]["code"] == "INSUFFICIENT_FUNDS").count();
    assert_eq!(ok, 33, "answers: {answers:?}");
    assert_eq!(refused, 17);
    let d = server
        .data("amm.perugia", "query($l: ID!) { fundingLine(id: $l) { committed available } }", json!({ "l": line }))
        .await;
    assert_eq!(d["fundingLine"]["committed"], "990.00");
    assert_eq!(d["fundingLine"]["available"], "10.00");
    // The running total matches the commitments themselves.
    let db = server.db().await;
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) FROM commitments WHERE funding_line_id = {}", common::key(&line)),
        ))
        .await
        .unwrap()
        .unwrap();
    let count: i64 = row.try_get_by_index(0).unwrap();
    assert_eq!(count, 33);
    db.close().await.ok();

    // An active intervention authorised for €1,000 and 25 parallel disbursements of €100.
    let d = server.data("op.perugia", r#"{ cases(filter: { states: [open] }) { edges { node { id orgUnit { name } } } } catalogue { id localCode } }"#, json!({})).await;
    let case = d["cases"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["orgUnit"]["name"] == "Perugia - Segretariato sociale")
        .map(|e| s(&e["node"]["id"]))
        .unwrap();
    let entry =
        d["catalogue"].as_array().unwrap().iter().find(|u| u["localCode"] == "SAD").map(|u| s(&u["id"])).unwrap();
    let d = server
        .data("op.perugia", r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "1000", startsOn: "2026-06-01" }) { intervention { id } errors { code } } }"#, json!({ "c": case, "e": entry }))
        .await;
    assert_eq!(d["requestIntervention"]["errors"], json!([]), "{d}");
    let i = s(&d["requestIntervention"]["intervention"]["id"]);
    server.data("amm.perugia", r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "1000") { errors { code } } }"#, json!({ "i": i })).await;
    server
        .data(
            "op.perugia",
            r#"mutation($i: ID!) { activateIntervention(interventionId: $i) { errors { code } } }"#,
            json!({ "i": i }),
        )
        .await;
    let tasks = (0..25).map(|_| {
        server.gql(Some("pay.perugia"), r#"mutation($i: ID!) { recordDisbursement(input: { interventionId: $i, amount: "100", paidOn: "2026-07-01", periodFrom: "2026-06-01", periodTo: "2026-06-30" }) { disbursement { id } errors { code } } }"#, json!({ "i": i }))
    });
    let answers = futures::future::join_all(tasks).await;
    let ok = answers.iter().filter(|a| a["data"]["recordDisbursement"]["disbursement"]["id"].is_string()).count();
    assert_eq!(ok, 10, "answers: {answers:?}");
    let d = server
        .data(
            "op.perugia",
            "query($i: ID!) { intervention(id: $i) { disbursedAmount disbursements { amount } } }",
            json!({ "i": i }),
        )
        .await;
    assert_eq!(d["intervention"]["disbursedAmount"], "1000.00");
    assert_eq!(d["intervention"]["disbursements"].as_array().unwrap().len(), 10);
    // Concurrent writers append to the access log's hash chain without forking it.
    let (intact, text) = server.audit(&["verify"]);
    assert!(intact && text.contains("access log intact"), "{text}");
}

on_both!(parallel_requests_never_overspend, concurrency);

/// Two server processes on one PostgreSQL database, as two replicas behind a balancer: the
/// same race split between them never overspends the line, both answer the same totals, and
/// the access log they append to together stays one unbroken chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_never_overspend() {
    let a = Server::start(common::Db::Postgres).await;
    let b = Server::attach(&a, &[]).await;
    let (comune, fund) = perugia_comune_and_fund(&a).await;
    let d = b
        .data("amm.perugia", r#"mutation($f: ID!, $o: ID!) { createFundingLine(input: { fundId: $f, orgUnitId: $o, name: "Replicas", year: 2026, amount: "1000" }) { fundingLine { id } errors { code } } }"#, json!({ "f": fund, "o": comune }))
        .await;
    let line = s(&d["createFundingLine"]["fundingLine"]["id"]);
    // 60 commitments of €30, alternately on each replica, with reads of the line between them.
    let commit =
        r#"mutation($l: ID!) { commitFunds(fundingLineId: $l, amount: "30") { commitment { id } errors { code } } }"#;
    let read = "query($l: ID!) { fundingLine(id: $l) { committed available } }";
    let tasks = (0..60).map(|k| {
        let server = if k % 2 == 0 { &a } else { &b };
        let line = line.clone();
        async move {
            let answer = server.gql(Some("amm.perugia"), commit, json!({ "l": line })).await;
            let seen = server.gql(Some("amm.perugia"), read, json!({ "l": line })).await;
            (answer, seen)
        }
    });
    let answers = futures::future::join_all(tasks).await;
    let ok = answers.iter().filter(|(a, _)| a["data"]["commitFunds"]["commitment"]["id"].is_string()).count();
    let refused =
        answers.iter().filter(|(a, _)| a["data"]["commitFunds"]["errors"][0]["code"] == "INSUFFICIENT_FUNDS").count();
    assert_eq!((ok, refused), (33, 27), "answers: {answers:?}");
    // No replica ever showed more committed than the line holds.
    for (_, seen) in &answers {
        let committed = seen["data"]["fundingLine"]["committed"].as_str().unwrap_or("?");
        let cents: i64 = committed.replace('.', "").parse().unwrap_or(i64::MAX);
        assert!(cents <= 100_000, "{seen}");
    }
    // Both replicas answer the same totals.
    for server in [&a, &b] {
        let d = server.data("amm.perugia", read, json!({ "l": line })).await;
        assert_eq!(d["fundingLine"]["committed"], "990.00");
        assert_eq!(d["fundingLine"]["available"], "10.00");
    }
    // Reads on both replicas append to one chain.
    for server in [&a, &b] {
        server
            .data(
                "op.perugia",
                r#"{ cases(filter: { states: [open] }) { edges { node { id person { surname } } } } }"#,
                json!({}),
            )
            .await;
    }
    let (intact, text) = a.audit(&["verify"]);
    assert!(intact && text.contains("access log intact"), "{text}");
    b.stop().await;
    a.stop().await;
}
