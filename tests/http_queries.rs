//! Queries: Relay pagination, filters, bounded SQL per page (no N+1), GraphiQL offline,
//! health and readiness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, s};
use serde_json::json;

const PAGE: &str = r#"query($n: Int!, $o: ID) { cases(first: $n, filter: { orgUnitId: $o }) {
  edges { cursor node { id state person { surname isee { value } } plan { kind objectives { term } }
    interventions { state catalogueEntry { inpsCode } disbursements { amount paidOn } pluginResults { outcome } } } }
  pageInfo { hasNextPage hasPreviousPage endCursor } } }"#;

async fn seed_cases(server: &Server, n: usize) -> String {
    let d = server.data("op.roma7", "{ me { orgUnit { id } } catalogue { id localCode } }", json!({})).await;
    let office = s(&d["me"]["orgUnit"]["id"]);
    let entry =
        d["catalogue"].as_array().unwrap().iter().find(|u| u["localCode"] == "EDU-DOM").map(|u| s(&u["id"])).unwrap();
    for k in 0..n {
        let d = server
            .data("op.roma7", r#"mutation($o: ID!, $s: String!) { createPerson(input: { orgUnitId: $o, surname: $s, givenName: "Test", sex: F, birthDate: "2012-05-01" }) { person { id } errors { code } } }"#, json!({ "o": office, "s": format!("Tester{k:03}") }))
            .await;
        let p = s(&d["createPerson"]["person"]["id"]);
        let d = server
            .data("op.roma7", r#"mutation($o: ID!, $p: ID!) { openCase(input: { orgUnitId: $o, personId: $p, area: family_minors, openedOn: "2026-01-10" }) { case { id } errors { code } } }"#, json!({ "o": office, "p": p }))
            .await;
        let c = s(&d["openCase"]["case"]["id"]);
        server
            .data("op.roma7", r#"mutation($c: ID!) { createPlan(input: { caseId: $c, kind: pei, startsOn: "2026-01-10", reviewEveryMonths: 6, objectives: [{ term: short, description: "School attendance" }] }) { errors { code } } }"#, json!({ "c": c }))
            .await;
        let d = server
            .data("op.roma7", r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "600", startsOn: "2026-01-10" }) { intervention { id } errors { code } } }"#, json!({ "c": c, "e": entry }))
            .await;
        let i = s(&d["requestIntervention"]["intervention"]["id"]);
        server.data("amm.roma7", r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "600") { errors { code } } }"#, json!({ "i": i })).await;
        server
            .data(
                "op.roma7",
                r#"mutation($i: ID!) { activateIntervention(interventionId: $i) { errors { code } } }"#,
                json!({ "i": i }),
            )
            .await;
        server
            .data("pay.roma7", r#"mutation($i: ID!) { recordDisbursement(input: { interventionId: $i, amount: "100", paidOn: "2026-02-05", periodFrom: "2026-01-10", periodTo: "2026-01-31" }) { errors { code } } }"#, json!({ "i": i }))
            .await;
    }
    office
}

async fn queries(server: &Server) {
    let office = seed_cases(server, 50).await;

    // A page of 50 cases with person, ISEE, plan, objectives, interventions, catalogue,
    // disbursements and plug-in results costs the same small number of statements as a page of 5.
    let mut cost = Vec::new();
    for n in [5, 50] {
        let before = server.sql_statements().await;
        let d = server.data("op.roma7", PAGE, json!({ "n": n, "o": office })).await;
        let after = server.sql_statements().await;
        let edges = d["cases"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n);
        assert!(edges.iter().all(|e| e["node"]["interventions"][0]["disbursements"][0]["amount"].is_string()));
        assert!(
            edges.iter().all(|e| e["node"]["plan"]["objectives"][0]["term"].is_string() || e["node"]["plan"].is_null())
        );
        cost.push(after - before);
    }
    assert_eq!(cost[0], cost[1], "statements must not grow with the page size: {cost:?}");
    // One statement per relation (plug-in results included), plus the access log's constant
    // share: the persons of the interventions read, and one multi-row append of the read events
    // under the chain's lock.
    assert!(cost[1] <= 14, "a page of 50 cases issued {} statements", cost[1]);

    // Forward and backward pagination visit every case once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let d = server
            .data("op.roma7", "query($a: String) { cases(first: 7, after: $a) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }", json!({ "a": after }))
            .await;
        for e in d["cases"]["edges"].as_array().unwrap() {
            seen.push(s(&e["node"]["id"]));
        }
        if d["cases"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = Some(s(&d["cases"]["pageInfo"]["endCursor"]));
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    // Every case the operator may read, and only those: the 50 seeded here and Municipio VII's.
    let all = server.data("op.roma7", "{ cases(first: 100) { edges { node { id } } } }", json!({})).await;
    assert_eq!(seen.len(), all["cases"]["edges"].as_array().unwrap().len());
    assert!(seen.len() > 50);
    let d = server
        .data(
            "op.roma7",
            "{ cases(last: 3) { edges { node { id } } pageInfo { hasPreviousPage hasNextPage } } }",
            json!({}),
        )
        .await;
    let last: Vec<String> = d["cases"]["edges"].as_array().unwrap().iter().map(|e| s(&e["node"]["id"])).collect();
    assert_eq!(last, seen[seen.len() - 3..].to_vec());
    assert_eq!(d["cases"]["pageInfo"]["hasPreviousPage"], true);

    // Filters.
    let d = server
        .data(
            "op.lodi",
            r#"{ cases(first: 100, filter: { states: [closed] }) { edges { node { state } } } }"#,
            json!({}),
        )
        .await;
    let closed = d["cases"]["edges"].as_array().unwrap();
    assert!(!closed.is_empty() && closed.iter().all(|e| e["node"]["state"] == "closed"));
    let d = server
        .data("op.lodi", r#"{ cases(first: 100, filter: { area: elderly }) { edges { node { area } } } }"#, json!({}))
        .await;
    let elderly = d["cases"]["edges"].as_array().unwrap();
    assert!(!elderly.is_empty() && elderly.iter().all(|e| e["node"]["area"] == "elderly"));
    let d = server
        .data(
            "op.perugia",
            r#"{ interventions(first: 100, filter: { states: [rejected] }) { edges { node { state } } } }"#,
            json!({}),
        )
        .await;
    let rejected = d["interventions"]["edges"].as_array().unwrap();
    assert!(!rejected.is_empty() && rejected.iter().all(|e| e["node"]["state"] == "rejected"));

    // By responsible operator.
    let d = server.data("op.lodi", "{ me { id } }", json!({})).await;
    let lodi = s(&d["me"]["id"]);
    let d = server
        .data("op.lodi", "query($o: ID!) { cases(first: 100, filter: { operatorId: $o }) { edges { node { responsibleOperator { username } } } } }", json!({ "o": lodi }))
        .await;
    let by_op = d["cases"]["edges"].as_array().unwrap();
    assert_eq!(by_op.len(), 3);
    assert!(by_op.iter().all(|e| e["node"]["responsibleOperator"]["username"] == "op.lodi"));
    // Interventions by case, provider and funding line.
    let d = server
        .data("op.roma7", "{ providers { id } fundingLines(first: 100) { edges { node { id name } } } }", json!({}))
        .await;
    let provider = s(&d["providers"][0]["id"]);
    let fna = d["fundingLines"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["name"].as_str().unwrap().starts_with("FNA"))
        .map(|e| s(&e["node"]["id"]))
        .unwrap();
    let d = server
        .data("op.roma7", "query($p: ID!) { interventions(first: 100, filter: { providerId: $p }) { edges { node { provider { id } catalogueEntry { inpsCode } case { id } } } } }", json!({ "p": provider }))
        .await;
    let by_provider = d["interventions"]["edges"].as_array().unwrap();
    assert_eq!(by_provider.len(), 1);
    assert_eq!(by_provider[0]["node"]["catalogueEntry"]["inpsCode"], "A3.02");
    let minor_case = s(&by_provider[0]["node"]["case"]["id"]);
    let d = server
        .data("coord.roma", "query($l: ID!) { interventions(first: 100, filter: { fundingLineId: $l }) { edges { node { catalogueEntry { inpsCode } fundingLine { id } } } } }", json!({ "l": fna }))
        .await;
    let by_line = d["interventions"]["edges"].as_array().unwrap();
    assert_eq!(by_line.len(), 1);
    assert_eq!(by_line[0]["node"]["catalogueEntry"]["inpsCode"], "A1.11");
    let d = server
        .data(
            "op.roma7",
            "query($c: ID!) { interventions(first: 100, filter: { caseId: $c }) { edges { node { case { id } } } } }",
            json!({ "c": minor_case }),
        )
        .await;
    let by_case = d["interventions"]["edges"].as_array().unwrap();
    assert_eq!(by_case.len(), 1);
    assert_eq!(s(&by_case[0]["node"]["case"]["id"]), minor_case);
    let d = server
        .data(
            "op.roma7",
            r#"{ persons(first: 100, filter: { name: "tester00" }) { edges { node { surname } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["persons"]["edges"].as_array().unwrap().len(), 10);

    // GraphiQL is served with its assets from this host only.
    let page = server.http().get(format!("{}/graphql", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("graphiql"));
    assert!(!page.contains("http://") && !page.contains("https://"), "GraphiQL must not load anything from outside");
    for asset in ["/graphiql/graphiql.js", "/graphiql/graphiql.css", "/graphiql/react.js", "/graphiql/react-dom.js"] {
        let r = server.http().get(format!("{}{asset}", server.url)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{asset}");
        assert!(r.bytes().await.unwrap().len() > 1000);
    }

    // Liveness and readiness.
    let r = server.http().get(format!("{}/health", server.url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r: serde_json::Value =
        server.http().get(format!("{}/ready", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["status"], "ready");
    assert_eq!(r["pendingMigrations"], 0);
}

on_both!(pages_filters_and_operations, queries);

/// Global ids and the Relay `node` field: every id names one record of one type; `node(id:)`
/// answers the record its type's own field answers, `nodes(ids:)` several in the order asked;
/// another organisation's id, a missing one, a malformed one and an id of another type all
/// answer `null`, alike.
async fn global_ids(server: &Server) {
    let q = "{ me { id orgUnit { id parent { id } } } \
        cases(first: 3) { edges { node { id person { id } plan { id } interventions { id catalogueEntry { id } fundingLine { id fund { id } } } } } } \
        providers { id } }";
    let d = server.data("op.roma1", q, json!({})).await;
    let mut records = vec![("Operator", s(&d["me"]["id"])), ("OrgUnit", s(&d["me"]["orgUnit"]["id"]))];
    records.push(("OrgUnit", s(&d["me"]["orgUnit"]["parent"]["id"])));
    records.push(("Provider", s(&d["providers"][0]["id"])));
    for e in d["cases"]["edges"].as_array().unwrap() {
        let c = &e["node"];
        records.push(("Case", s(&c["id"])));
        records.push(("Person", s(&c["person"]["id"])));
        if c["plan"].is_object() {
            records.push(("Plan", s(&c["plan"]["id"])));
        }
        for i in c["interventions"].as_array().unwrap() {
            records.push(("Intervention", s(&i["id"])));
            records.push(("CatalogueEntry", s(&i["catalogueEntry"]["id"])));
            if i["fundingLine"].is_object() {
                records.push(("FundingLine", s(&i["fundingLine"]["id"])));
                records.push(("Fund", s(&i["fundingLine"]["fund"]["id"])));
            }
        }
    }
    for t in [
        "Operator",
        "OrgUnit",
        "Provider",
        "Case",
        "Person",
        "Plan",
        "Intervention",
        "CatalogueEntry",
        "FundingLine",
        "Fund",
    ] {
        assert!(records.iter().any(|(ty, _)| *ty == t), "the demo gives op.roma1 no {t}: {d}");
    }
    let node = "query($id: ID!) { node(id: $id) { __typename id } }";
    for (ty, id) in &records {
        let v = server.data("op.roma1", node, json!({ "id": id })).await;
        assert_eq!(v["node"], json!({ "__typename": ty, "id": id }), "{ty} {id}");
    }
    let ids: Vec<&String> = records.iter().map(|(_, id)| id).collect();
    let v = server.data("op.roma1", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": ids })).await;
    let back: Vec<String> = v["nodes"].as_array().unwrap().iter().map(|n| s(&n["id"])).collect();
    assert_eq!(back, ids.iter().map(|i| i.to_string()).collect::<Vec<_>>());
    // The same node as through the type's own field, nested fields included.
    let case = records.iter().find(|(t, _)| *t == "Case").unwrap().1.clone();
    let person = records.iter().find(|(t, _)| *t == "Person").unwrap().1.clone();
    let own = server
        .data("op.roma1", "query($id: ID!) { case(id: $id) { id state person { surname } } }", json!({ "id": case }))
        .await;
    let via = server
        .data(
            "op.roma1",
            "query($id: ID!) { node(id: $id) { ... on Case { id state person { surname } } } }",
            json!({ "id": case }),
        )
        .await;
    assert_eq!(own["case"], via["node"]);
    assert_ne!(common::key(&case), 0);

    // Another organisation's case, a missing one, a malformed id, a person's id where a case's
    // is asked: all null, alike, by `node` and by `case`.
    let missing = common::gid("Case", 987_654_321);
    let by_case = "query($id: ID!) { case(id: $id) { id } }";
    let foreign = server.gql(Some("op.perugia"), node, json!({ "id": case })).await;
    for other in [missing.as_str(), "1", "not an id", &common::gid("Case", 0), &common::gid("Nothing", 1)] {
        assert_eq!(server.gql(Some("op.perugia"), node, json!({ "id": other })).await, foreign, "{other}");
    }
    assert_eq!(foreign, json!({ "data": { "node": null } }));
    let foreign = server.gql(Some("op.perugia"), by_case, json!({ "id": case })).await;
    assert_eq!(foreign, json!({ "data": { "case": null } }));
    assert_eq!(server.gql(Some("op.perugia"), by_case, json!({ "id": missing })).await, foreign);
    assert_eq!(
        server.gql(Some("op.roma1"), by_case, json!({ "id": person })).await,
        foreign,
        "a person's id is no case's"
    );
    let v = server
        .gql(Some("op.perugia"), "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": [case, missing] }))
        .await;
    assert_eq!(v, json!({ "data": { "nodes": [null, null] } }));
    // A mutation given an id of the wrong type refuses it as invalid, before anything runs.
    let v = server
        .data("op.roma1", r#"mutation($c: ID!) { recordNeed(caseId: $c, code: "economic_hardship", severity: 2, recordedOn: "2026-11-20") { errors { code field } } }"#, json!({ "c": person }))
        .await;
    assert_eq!(v["recordNeed"]["errors"], json!([{ "code": "INVALID_ID", "field": "caseId" }]));
    // At most 100 ids at once.
    let many: Vec<String> = (1..=101).map(|k| common::gid("Case", k)).collect();
    let v =
        server.gql(Some("op.roma1"), "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": many })).await;
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("at most 100"), "{v}");
}

on_both!(relay_global_ids, global_ids);
