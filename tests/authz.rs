//! Organisations as tenancy: operators of different units see different data, sensitive parts
//! need their own permission, and hostile administration (self-grants, transfers without
//! rights on both sides, units outside one's reach) is denied with a typed error and changes
//! nothing. Policy changes reach every server process on the same database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{Server, s};
use serde_json::{Value, json};

async fn unchanged(server: &Server, op: &str, query: &str, vars: Value) -> Value {
    let before = server.fingerprint().await;
    let v = server.gql(Some(op), query, vars).await;
    let after = server.fingerprint().await;
    assert_eq!(before, after, "the database changed after {query} by {op}: {v}");
    v
}

fn top_code(v: &Value) -> String {
    s(&v["errors"][0]["extensions"]["code"])
}

fn user_code(v: &Value, mutation: &str) -> String {
    s(&v["data"][mutation]["errors"][0]["code"])
}

/// The code of a denial, whether top-level (FORBIDDEN) or in the payload (NOT_FOUND).
fn any_code(v: &Value, mutation: &str) -> String {
    if v["errors"].is_array() { top_code(v) } else { user_code(v, mutation) }
}

async fn ids(server: &Server, op: &str, list: &str) -> HashSet<String> {
    let d = server.data(op, &format!("{{ {list}(first: 100) {{ edges {{ node {{ id }} }} }} }}"), json!({})).await;
    d[list]["edges"].as_array().unwrap().iter().map(|e| s(&e["node"]["id"])).collect()
}

async fn me(server: &Server, op: &str) -> (String, String) {
    let d = server.data(op, "{ me { id orgUnit { id } } }", json!({})).await;
    (s(&d["me"]["id"]), s(&d["me"]["orgUnit"]["id"]))
}

async fn unit(server: &Server, name: &str) -> String {
    let d = server.data("op.roma1", "{ orgUnits { id name } }", json!({})).await;
    d["orgUnits"].as_array().unwrap().iter().find(|u| u["name"] == name).map(|u| s(&u["id"])).unwrap()
}

async fn organisations_see_different_data(server: &Server) {
    let roma1 = ids(server, "op.roma1", "cases").await;
    let roma7 = ids(server, "op.roma7", "cases").await;
    let perugia = ids(server, "op.perugia", "cases").await;
    let coord = ids(server, "coord.roma", "cases").await;
    assert!(!roma1.is_empty() && !perugia.is_empty(), "the demo has cases in Municipio I and Perugia");
    assert!(roma1.is_disjoint(&roma7) && roma1.is_disjoint(&perugia) && roma7.is_disjoint(&perugia));
    // Roma Capitale's coordination reads every Municipio's cases, and nothing of Perugia.
    assert!(coord.is_superset(&roma1) && coord.is_superset(&roma7) && coord.is_disjoint(&perugia));
    // The Region's analyst and the plug-in administrator see no personal data at all.
    for op in ["analyst.lazio", "plugins.umbria", "dpo.roma", "admin.roma"] {
        assert!(ids(server, op, "cases").await.is_empty(), "{op} must not list cases");
        assert!(ids(server, op, "persons").await.is_empty(), "{op} must not list persons");
    }
    // A provider's staff read only the interventions assigned to their cooperative: not the
    // case, not the person.
    let d = server
        .data("op.ponte", "{ interventions(first: 50) { edges { node { id catalogueEntry { inpsCode } case { id } } } } cases(first: 5) { edges { node { id } } } }", json!({}))
        .await;
    let assigned = d["interventions"]["edges"].as_array().unwrap();
    assert_eq!(assigned.len(), 1, "{d}");
    assert_eq!(assigned[0]["node"]["catalogueEntry"]["inpsCode"], "A3.02");
    assert_eq!(assigned[0]["node"]["case"], Value::Null);
    assert_eq!(d["cases"]["edges"], json!([]));

    // A record of another unit by id: the same answer as a missing id.
    let case = roma1.iter().next().unwrap().clone();
    let q = "query($id: ID!) { case(id: $id) { id person { surname } } }";
    let foreign = server.gql(Some("op.perugia"), q, json!({ "id": case })).await;
    let missing = server.gql(Some("op.perugia"), q, json!({ "id": common::gid("Case", 987_654_321) })).await;
    assert_eq!(foreign, missing);
    assert_eq!(foreign["data"]["case"], Value::Null);
    // Through a filter naming another unit: nothing.
    let pua1 = unit(server, "Municipio I - PUA").await;
    let d = server
        .data("op.roma7", "query($o: ID!) { persons(first: 50, filter: { orgUnitId: $o }) { edges { node { id } } } interventions(first: 50, filter: { orgUnitId: $o }) { edges { node { id } } } }", json!({ "o": pua1 }))
        .await;
    assert_eq!(d["persons"]["edges"], json!([]));
    assert_eq!(d["interventions"]["edges"], json!([]));
    let d = server
        .data(
            "op.roma7",
            "query($c: ID!) { interventions(first: 50, filter: { caseId: $c }) { edges { node { id } } } }",
            json!({ "c": case }),
        )
        .await;
    assert_eq!(d["interventions"]["edges"], json!([]));

    // Sensitive parts: the social worker reads the health answers; the paymaster of the same
    // office reads the case but gets a typed FORBIDDEN for the answers.
    let q = "query($id: ID!) { case(id: $id) { id assessments { instrument answers { question } } } }";
    let mut with_assessment = None;
    for c in &roma1 {
        let d = server.data("op.roma1", q, json!({ "id": c })).await;
        if d["case"]["assessments"].as_array().is_some_and(|a| !a.is_empty()) {
            with_assessment = Some(c.clone());
            break;
        }
    }
    let c = with_assessment.expect("the demo's elderly case has a UVM assessment");
    let v = server.gql(Some("pay.roma1"), q, json!({ "id": c })).await;
    assert_eq!(s(&v["data"]["case"]["id"]), c, "{v}");
    assert_eq!(v["data"]["case"]["assessments"][0]["answers"], Value::Null, "{v}");
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
}

async fn hostile_administration(server: &Server) {
    let (op1, _) = me(server, "op.roma1").await;
    let (op7, _) = me(server, "op.roma7").await;
    let (admin, roma) = me(server, "admin.roma").await;
    let (perugia_op, _) = me(server, "op.perugia").await;
    let (head1, pua1) = me(server, "head.roma1").await;
    let (_, pua7) = me(server, "op.roma7").await;
    let lecce = unit(server, "Comune di Lecce").await;
    let grant = "mutation($op: ID!, $r: String!, $u: ID!) { grantRole(operatorId: $op, role: $r, orgUnitId: $u) { grants { role orgUnitId } errors { code field } } }";
    let revoke = "mutation($op: ID!, $r: String!, $u: ID!) { revokeRole(operatorId: $op, role: $r, orgUnitId: $u) { grants { role orgUnitId } errors { code field } } }";

    // Granting oneself a role: denied, typed, nothing written; also for an administrator.
    let v = unchanged(server, "op.roma1", grant, json!({ "op": op1, "r": "org_admin", "u": roma })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = unchanged(server, "admin.roma", grant, json!({ "op": admin, "r": "operator", "u": roma })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    // A social worker cannot grant anything to a colleague.
    let v = unchanged(server, "op.roma1", grant, json!({ "op": op7, "r": "operator", "u": pua1 })).await;
    assert!(["FORBIDDEN", "NOT_FOUND"].contains(&any_code(&v, "grantRole").as_str()), "{v}");
    // An operator of another organisation looks missing; so does a unit outside one's reach.
    let v = unchanged(server, "admin.roma", grant, json!({ "op": perugia_op, "r": "operator", "u": roma })).await;
    assert_eq!(user_code(&v, "grantRole"), "NOT_FOUND", "{v}");
    let v = unchanged(server, "admin.roma", grant, json!({ "op": op7, "r": "operator", "u": lecce })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = unchanged(server, "admin.roma", grant, json!({ "op": op7, "r": "superuser", "u": pua1 })).await;
    assert_eq!(user_code(&v, "grantRole"), "UNKNOWN_ROLE", "{v}");

    // Units: only under a unit one manages.
    let create = r#"mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: office, name: "Sportello Trastevere" }) { orgUnit { id name } errors { code field } } }"#;
    let v = unchanged(server, "op.roma1", create, json!({ "p": roma })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = unchanged(server, "admin.roma", create, json!({ "p": lecce })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let d = server.data("admin.roma", create, json!({ "p": roma })).await;
    assert_eq!(d["createOrgUnit"]["orgUnit"]["name"], "Sportello Trastevere");
    // The hierarchy and the national codes hold: nothing under an office, codes in their form.
    let under_office = r#"mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: comune, name: "Comune fantasma" }) { orgUnit { id } errors { code field } } }"#;
    let v = unchanged(server, "admin.roma", under_office, json!({ "p": pua1 })).await;
    assert_eq!(user_code(&v, "createOrgUnit"), "INVALID_PARENT", "{v}");
    let bad_istat = r#"mutation($p: ID!) { createOrgUnit(input: { parentId: $p, kind: office, name: "Sportello", istatCode: "58091x" }) { orgUnit { id } errors { code field } } }"#;
    let v = unchanged(server, "admin.roma", bad_istat, json!({ "p": roma })).await;
    assert_eq!(user_code(&v, "createOrgUnit"), "INVALID_ISTAT_CODE", "{v}");
    // Another administration's unit: refused before its kind is told.
    let v = unchanged(server, "admin.roma", under_office, json!({ "p": lecce })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");

    // Transfers need the right on both sides.
    let case = ids(server, "op.roma1", "cases").await.into_iter().next().unwrap();
    let transfer = r#"mutation($c: ID!, $u: ID!) { reassignCase(caseId: $c, orgUnitId: $u, reason: "Moved house") { case { id orgUnit { id } } errors { code field } } }"#;
    let v = unchanged(server, "op.roma1", transfer, json!({ "c": case, "u": pua7 })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "a social worker cannot transfer: {v}");
    let v = unchanged(server, "head.roma1", transfer, json!({ "c": case, "u": pua7 })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "no rights on the receiving side: {v}");
    // Out of the case: the receiving operator cannot pull it in.
    let v = unchanged(server, "op.roma7", transfer, json!({ "c": case, "u": pua7 })).await;
    assert_eq!(user_code(&v, "reassignCase"), "NOT_FOUND", "{v}");

    // With a grant on the receiving side the transfer goes through, and is logged.
    let d = server.data("admin.roma", grant, json!({ "op": head1, "r": "office_head", "u": pua7 })).await;
    let grants = d["grantRole"]["grants"].as_array().unwrap();
    assert!(grants.iter().any(|g| g["role"] == "office_head" && s(&g["orgUnitId"]) == pua7), "{d}");
    // The responsible operator must be able to work in the receiving unit: name one who can.
    let v = unchanged(server, "head.roma1", transfer, json!({ "c": case, "u": pua7 })).await;
    assert_eq!(user_code(&v, "reassignCase"), "OPERATOR_REQUIRED", "{v}");
    let transfer_to = r#"mutation($c: ID!, $u: ID!, $op: ID!) { reassignCase(caseId: $c, orgUnitId: $u, operatorId: $op, reason: "Moved house") { case { id orgUnit { id } } errors { code field } } }"#;
    let d = server.data("head.roma1", transfer_to, json!({ "c": case, "u": pua7, "op": op7 })).await;
    assert_eq!(s(&d["reassignCase"]["case"]["orgUnit"]["id"]), pua7, "{d}");
    assert!(ids(server, "op.roma7", "cases").await.contains(&case));
    assert!(!ids(server, "op.roma1", "cases").await.contains(&case));

    // A revoked grant stops at once in this process.
    let d = server.data("admin.roma", grant, json!({ "op": op7, "r": "operator", "u": pua1 })).await;
    assert!(d["grantRole"]["errors"].as_array().unwrap().is_empty(), "{d}");
    assert!(!ids(server, "op.roma7", "persons").await.is_disjoint(&ids(server, "op.roma1", "persons").await));
    let d = server.data("admin.roma", revoke, json!({ "op": op7, "r": "operator", "u": pua1 })).await;
    assert!(d["revokeRole"]["errors"].as_array().unwrap().is_empty(), "{d}");
    assert!(ids(server, "op.roma7", "persons").await.is_disjoint(&ids(server, "op.roma1", "persons").await));
    let v = unchanged(server, "admin.roma", revoke, json!({ "op": op7, "r": "operator", "u": pua1 })).await;
    assert_eq!(user_code(&v, "revokeRole"), "NOT_FOUND", "{v}");

    // The denials are in the server's log, without personal data.
    let log = server.log();
    assert!(log.contains("denied"), "denials are logged");

    // The data-protection officer sees who accessed a person of Roma; others see nothing.
    let d = server.data("op.roma1", "{ persons(first: 1) { edges { node { id } } } }", json!({})).await;
    let person = s(&d["persons"]["edges"][0]["node"]["id"]);
    // A read with a declared purpose is in the access log, with who, where from and why.
    let r = server
        .http()
        .post(format!("{}/graphql", server.url))
        .header("x-siso-operator", "op.roma1")
        .header("x-siso-purpose", "Home visit planning")
        .json(&json!({ "query": "query($p: ID!) { person(id: $p) { surname cases { id } } }", "variables": { "p": person } }))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["data"]["person"]["surname"].is_string(), "{v}");
    let q = "query($p: ID!) { accessLog(personId: $p, first: 100) { edges { node { actor action recordKind recordId purpose orgUnitId at } } } }";
    let d = server.data("dpo.roma", q, json!({ "p": person })).await;
    let events: Vec<Value> = d["accessLog"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    assert!(events.iter().all(|e| e["actor"].is_string() && e["action"].is_string()));
    let read = events
        .iter()
        .find(|e| e["action"] == "person.read" && e["purpose"] == "Home visit planning")
        .unwrap_or_else(|| panic!("the read is not in the access log: {d}"));
    assert_eq!(read["actor"], "op.roma1");
    assert_eq!(s(&read["recordId"]), person);
    assert!(events.iter().any(|e| e["action"] == "case.read" && e["actor"] == "op.roma1"), "{d}");
    // Reading the access log is not itself a read of the person's file, and the chain holds.
    let (intact, text) = server.audit(&["verify"]);
    assert!(intact, "{text}");
    for op in ["op.roma1", "op.perugia", "coord.roma"] {
        let d = server.data(op, q, json!({ "p": person })).await;
        assert_eq!(d["accessLog"]["edges"], json!([]), "{op} is not an auditor");
    }
}

async fn anonymous_sees_nothing(server: &Server) {
    let case = ids(server, "op.roma1", "cases").await.into_iter().next().unwrap();
    let v = server.gql(None, "query($id: ID!) { case(id: $id) { id } }", json!({ "id": case })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = server.gql(None, "{ persons(first: 5) { edges { node { id } } } }", json!({})).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = server.gql(Some("nobody.at.all"), "{ persons(first: 5) { edges { node { id } } } }", json!({})).await;
    assert_eq!(top_code(&v), "UNAUTHENTICATED", "{v}");
    assert_eq!(v["errors"][0]["extensions"]["reason"], "UNKNOWN_OPERATOR", "{v}");
}

/// Writes that name another administration's records: a household with a person of Perugia,
/// a Roma case made the responsibility of a Perugia operator. Foreign and missing ids answer
/// alike, nothing is written, and naming someone else responsible needs `case/assign`.
async fn cross_tenant_writes(server: &Server) {
    let d = server.data("op.perugia", "{ persons(first: 1) { edges { node { id } } } }", json!({})).await;
    let foreign_person = s(&d["persons"]["edges"][0]["node"]["id"]);
    let (_, pua1) = me(server, "op.roma1").await;
    let household = r#"mutation($o: ID!, $p: ID!) { createHousehold(orgUnitId: $o, members: [{ personId: $p, relation: head }]) { householdId errors { code field message } } }"#;
    let a = unchanged(server, "op.roma1", household, json!({ "o": pua1, "p": foreign_person })).await;
    let b =
        unchanged(server, "op.roma1", household, json!({ "o": pua1, "p": common::gid("Person", 987_654_321) })).await;
    assert_eq!(a, b, "a person of another administration answers like a missing one");
    assert_eq!(user_code(&a, "createHousehold"), "NOT_FOUND", "{a}");

    let (perugia_op, _) = me(server, "op.perugia").await;
    let (op7, _) = me(server, "op.roma7").await;
    let (op1, _) = me(server, "op.roma1").await;
    let (head1, _) = me(server, "head.roma1").await;
    let case = ids(server, "op.roma1", "cases").await.into_iter().min().unwrap();
    let assign = "mutation($c: ID!, $op: ID!) { reassignCase(caseId: $c, operatorId: $op) { case { responsibleOperator { username } } errors { code field } } }";
    // Operators of another administration, or without case rights in the unit, look missing.
    let missing = common::gid("Operator", 987_654_321);
    for op in [perugia_op.as_str(), op7.as_str(), missing.as_str()] {
        let v = unchanged(server, "head.roma1", assign, json!({ "c": case, "op": op })).await;
        assert_eq!(user_code(&v, "reassignCase"), "NOT_FOUND", "{op}: {v}");
        assert_eq!(s(&v["data"]["reassignCase"]["errors"][0]["field"]), "operatorId", "{v}");
    }
    let open = r#"mutation($o: ID!, $p: ID!, $op: ID!) { openCase(input: { orgUnitId: $o, personId: $p, area: poverty, responsibleOperatorId: $op, openedOn: "2026-11-20" }) { case { id } errors { code field } } }"#;
    let d = server.data("op.roma1", "{ persons(first: 1) { edges { node { id } } } }", json!({})).await;
    let own_person = s(&d["persons"]["edges"][0]["node"]["id"]);
    let v = unchanged(server, "op.roma1", open, json!({ "o": pua1, "p": own_person, "op": perugia_op })).await;
    assert_eq!(user_code(&v, "openCase"), "NOT_FOUND", "{v}");
    // A social worker holds no `case/assign`: it cannot hand a case to a colleague of its office.
    let v = unchanged(server, "op.roma1", assign, json!({ "c": case, "op": head1 })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = unchanged(server, "op.roma1", open, json!({ "o": pua1, "p": own_person, "op": head1 })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    // The office head does.
    let d = server.data("head.roma1", assign, json!({ "c": case, "op": op1 })).await;
    assert_eq!(d["reassignCase"]["case"]["responsibleOperator"]["username"], "op.roma1", "{d}");
}

/// Provider staff see what was assigned to them, not what belongs to the case: no plan, no
/// history with its reasons, no plug-in results, no payments, no economic data.
async fn providers_see_a_minimal_view(server: &Server) {
    let q = "{ interventions(first: 50) { edges { node { id reason isee: iseeThreshold coPaymentMonthly applicationProtocol plan { id } history { toState reason } pluginResults { plugin } disbursements { id } placements { id } } } } }";
    let d = server.data("op.ponte", q, json!({})).await;
    let edges = d["interventions"]["edges"].as_array().unwrap();
    assert!(!edges.is_empty(), "{d}");
    for e in edges {
        let n = &e["node"];
        assert_eq!(n["plan"], Value::Null, "{d}");
        assert_eq!(n["history"], json!([]), "{d}");
        assert_eq!(n["pluginResults"], json!([]), "{d}");
        assert_eq!(n["disbursements"], json!([]), "{d}");
        for f in ["reason", "isee", "coPaymentMonthly", "applicationProtocol"] {
            assert_eq!(n[f], Value::Null, "{f}: {d}");
        }
    }
    // The case's workers read the same intervention whole.
    let id = s(&edges[0]["node"]["id"]);
    let d = server
        .data("coord.roma", "query($i: ID!) { intervention(id: $i) { history { toState } } }", json!({ "i": id }))
        .await;
    assert!(!d["intervention"]["history"].as_array().unwrap().is_empty(), "{d}");
}

async fn all(server: &Server) {
    organisations_see_different_data(server).await;
    anonymous_sees_nothing(server).await;
    cross_tenant_writes(server).await;
    providers_see_a_minimal_view(server).await;
    hostile_administration(server).await;
}

on_both!(tenancy, all);

/// The cases of `root`'s subtree, found by walking `org_units` (not the closure under test).
async fn cases_below(server: &Server, root: &str) -> HashSet<String> {
    use sea_orm::ConnectionTrait;
    let db = server.db().await;
    let sql = format!(
        "WITH RECURSIVE t(id) AS (SELECT id FROM org_units WHERE id = {} \
         UNION ALL SELECT o.id FROM org_units o JOIN t ON o.parent_id = t.id) \
         SELECT c.id FROM cases c JOIN t ON c.org_unit_id = t.id",
        common::key(root)
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| common::gid("Case", r.try_get_by_index::<i64>(0).unwrap())).collect()
}

/// A reader of more units than a statement lists (Roma Capitale once it has 70 more offices) is
/// restricted through the materialised hierarchy: the same cases as before, exactly those of its
/// subtree, none of another administration; and a unit created through the API is in the
/// hierarchy at once (a case moved into it is listed within it and by Roma's coordination).
async fn wide_scopes(server: &Server) {
    let roma = unit(server, "Roma Capitale").await;
    let perugia = ids(server, "op.perugia", "cases").await;
    let before = ids(server, "coord.roma", "cases").await;
    assert_eq!(before, cases_below(server, &roma).await);
    let create = r#"mutation($p: ID!, $n: String!) { createOrgUnit(input: { parentId: $p, kind: office, name: $n }) { orgUnit { id } errors { code } } }"#;
    let mut last = String::new();
    for i in 0..70 {
        let d = server.data("admin.roma", create, json!({ "p": roma, "n": format!("Sportello {i}") })).await;
        assert_eq!(d["createOrgUnit"]["errors"], json!([]), "{d}");
        last = s(&d["createOrgUnit"]["orgUnit"]["id"]);
    }
    let after = ids(server, "coord.roma", "cases").await;
    assert_eq!(before, after, "the same cases through the closure as through the list");
    assert!(after.is_disjoint(&perugia));

    let (head1, _) = me(server, "head.roma1").await;
    let grant = "mutation($op: ID!, $r: String!, $u: ID!) { grantRole(operatorId: $op, role: $r, orgUnitId: $u) { errors { code } } }";
    let d = server.data("admin.roma", grant, json!({ "op": head1, "r": "office_head", "u": last })).await;
    assert_eq!(d["grantRole"]["errors"], json!([]), "{d}");
    let (op1, _) = me(server, "op.roma1").await;
    let d = server.data("admin.roma", grant, json!({ "op": op1, "r": "operator", "u": last })).await;
    assert_eq!(d["grantRole"]["errors"], json!([]), "{d}");
    let case = ids(server, "op.roma1", "cases").await.into_iter().min().unwrap();
    let transfer = r#"mutation($c: ID!, $u: ID!, $op: ID!) { reassignCase(caseId: $c, orgUnitId: $u, operatorId: $op, reason: "New office") { errors { code } } }"#;
    let d = server.data("head.roma1", transfer, json!({ "c": case, "u": last, "op": op1 })).await;
    assert_eq!(d["reassignCase"]["errors"], json!([]), "{d}");
    let within = "query($u: ID!) { cases(first: 100, filter: { orgUnitId: $u }) { edges { node { id } } } }";
    let d = server.data("coord.roma", within, json!({ "u": last })).await;
    assert_eq!(d["cases"]["edges"], json!([{ "node": { "id": case } }]), "{d}");
    assert_eq!(ids(server, "coord.roma", "cases").await, cases_below(server, &roma).await);
    assert!(ids(server, "coord.roma", "cases").await.contains(&case));
    // Another administration's reader asking within Roma's new office gets nothing.
    let d = server.data("op.perugia", within, json!({ "u": last })).await;
    assert_eq!(d["cases"]["edges"], json!([]), "{d}");
}

on_both!(wide_scope, wide_scopes);

/// A grant made through one server process is enforced by another on the same database
/// within its poll interval.
mod policy_changes_reach_other_processes {
    use super::*;

    async fn run(db: common::Db) {
        let a = Server::start(db).await;
        let b = Server::attach(&a, &[]).await;
        let (op7, _) = me(&a, "op.roma7").await;
        let (_, pua1) = me(&a, "op.roma1").await;
        let theirs = ids(&b, "op.roma1", "cases").await;
        assert!(ids(&b, "op.roma7", "cases").await.is_disjoint(&theirs));
        let grant = "mutation($op: ID!, $r: String!, $u: ID!) { grantRole(operatorId: $op, role: $r, orgUnitId: $u) { errors { code } } }";
        let d = a.data("admin.roma", grant, json!({ "op": op7, "r": "operator", "u": pua1 })).await;
        assert_eq!(d["grantRole"]["errors"], json!([]));
        let mut seen = false;
        for _ in 0..50 {
            if ids(&b, "op.roma7", "cases").await.is_superset(&theirs) {
                seen = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(seen, "the other process must apply the grant within its poll interval");
        b.stop().await;
        a.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(common::Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(common::Db::Postgres).await;
    }
}

/// Operators administered over the API: an organisation administrator creates, corrects,
/// deactivates and reactivates the operators of its units; every input is checked with a typed
/// error and nothing written; another administration's operator answers like a missing one;
/// nobody changes their own record; the codice fiscale is shown only to the operator and to
/// their administrators; a deactivated operator is refused at once.
async fn operators(server: &Server) {
    let (_, pua1) = me(server, "op.roma1").await;
    let lecce = unit(server, "Comune di Lecce").await;
    let (perugia_op, _) = me(server, "op.perugia").await;
    let (admin, _) = me(server, "admin.roma").await;
    let create = r#"mutation($o: ID!, $u: String!, $n: String!, $cf: String, $r: String!) { createOperator(input: { orgUnitId: $o, username: $u, displayName: $n, fiscalCode: $cf, role: $r }) { operator { id username displayName fiscalCode active } errors { code field } } }"#;
    let new = |o: &str, u: &str, cf: Option<&str>, r: &str| json!({ "o": o, "u": u, "n": "Giulia Bianchi", "cf": cf, "r": r });

    // Who may not: a social worker, and an administrator outside its administration.
    let v = unchanged(server, "op.roma1", create, new(&pua1, "op.nuovo", None, "operator")).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = unchanged(server, "admin.roma", create, new(&lecce, "op.nuovo", None, "operator")).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    // What is checked, each with its code and field, nothing written.
    for (vars, code, field) in [
        (new(&pua1, "Op Nuovo", None, "operator"), "INVALID_USERNAME", "username"),
        (new(&pua1, "op.nuovo", Some("RSSMRA85T10A562X"), "operator"), "INVALID_FISCAL_CODE", "fiscalCode"),
        (new(&pua1, "op.nuovo", Some("12345678901"), "operator"), "INVALID_FISCAL_CODE", "fiscalCode"),
        (new(&pua1, "op.nuovo", None, "superuser"), "UNKNOWN_ROLE", "role"),
        (new(&pua1, "op.roma7", None, "operator"), "USERNAME_TAKEN", "username"),
        (json!({ "o": pua1, "u": "op.nuovo", "n": " ", "cf": null, "r": "operator" }), "REQUIRED", "displayName"),
        (new(&common::gid("OrgUnit", 987_654_321), "op.nuovo", None, "operator"), "NOT_FOUND", "orgUnitId"),
        (new(&perugia_op, "op.nuovo", None, "operator"), "INVALID_ID", "orgUnitId"),
    ] {
        let v = unchanged(server, "admin.roma", create, vars.clone()).await;
        assert_eq!(v["data"]["createOperator"]["errors"], json!([{ "code": code, "field": field }]), "{vars}: {v}");
    }
    let d = server.data("admin.roma", create, new(&pua1, "op.nuovo", Some("rssmra85t10a562s"), "operator")).await;
    let op = &d["createOperator"]["operator"];
    assert_eq!(op["fiscalCode"], "RSSMRA85T10A562S", "{d}");
    assert_eq!(op["active"], true);
    let id = s(&op["id"]);
    // One codice fiscale, one operator (it also signs them in through a broker).
    let v = unchanged(server, "admin.roma", create, new(&pua1, "op.altro", Some("RSSMRA85T10A562S"), "operator")).await;
    assert_eq!(v["data"]["createOperator"]["errors"], json!([{ "code": "FISCAL_CODE_TAKEN", "field": "fiscalCode" }]));

    // The new operator works in the unit with the role given.
    let d = server.data("op.nuovo", "{ me { username fiscalCode active orgUnit { id } } }", json!({})).await;
    assert_eq!(
        d["me"],
        json!({ "username": "op.nuovo", "fiscalCode": "RSSMRA85T10A562S", "active": true, "orgUnit": { "id": pua1 } })
    );
    assert_eq!(ids(server, "op.nuovo", "cases").await, ids(server, "op.roma1", "cases").await);
    // Colleagues see the name, not the codice fiscale.
    let node = "query($id: ID!) { node(id: $id) { ... on Operator { displayName fiscalCode active } } }";
    let d = server.data("op.roma1", node, json!({ "id": id })).await;
    assert_eq!(d["node"], json!({ "displayName": "Giulia Bianchi", "fiscalCode": null, "active": null }));
    let d = server.data("admin.roma", node, json!({ "id": id })).await;
    assert_eq!(d["node"]["fiscalCode"], "RSSMRA85T10A562S");

    // Corrections, and who may make them.
    let update = r#"mutation($id: ID!, $n: String, $cf: String) { updateOperator(input: { operatorId: $id, displayName: $n, fiscalCode: $cf }) { operator { displayName fiscalCode } errors { code field } } }"#;
    let d = server.data("admin.roma", update, json!({ "id": id, "n": "Giulia Bianchi Neri" })).await;
    assert_eq!(
        d["updateOperator"]["operator"],
        json!({ "displayName": "Giulia Bianchi Neri", "fiscalCode": "RSSMRA85T10A562S" })
    );
    let v = unchanged(server, "admin.roma", update, json!({ "id": id, "cf": "XXX" })).await;
    assert_eq!(
        v["data"]["updateOperator"]["errors"],
        json!([{ "code": "INVALID_FISCAL_CODE", "field": "fiscalCode" }])
    );
    let a = unchanged(server, "admin.roma", update, json!({ "id": perugia_op, "n": "X" })).await;
    let b =
        unchanged(server, "admin.roma", update, json!({ "id": common::gid("Operator", 987_654_321), "n": "X" })).await;
    assert_eq!(a, b, "another administration's operator answers like a missing one");
    assert_eq!(a["data"]["updateOperator"]["errors"], json!([{ "code": "NOT_FOUND", "field": "operatorId" }]));
    let v = unchanged(server, "op.roma1", update, json!({ "id": id, "n": "X" })).await;
    assert_eq!(v["data"]["updateOperator"]["errors"], json!([{ "code": "NOT_FOUND", "field": "operatorId" }]), "{v}");
    let v = unchanged(server, "admin.roma", update, json!({ "id": admin, "n": "X" })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "nobody changes their own record: {v}");

    // Deactivated, refused at once; reactivated, back; both in the access log.
    let deactivate =
        "mutation($id: ID!) { deactivateOperator(operatorId: $id) { operator { active } errors { code } } }";
    let reactivate =
        "mutation($id: ID!) { reactivateOperator(operatorId: $id) { operator { active } errors { code } } }";
    let v = unchanged(server, "admin.roma", deactivate, json!({ "id": admin })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let d = server.data("admin.roma", deactivate, json!({ "id": id })).await;
    assert_eq!(d["deactivateOperator"]["operator"]["active"], false);
    let v = server.gql(Some("op.nuovo"), "{ me { username } }", json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["reason"], "UNKNOWN_OPERATOR", "{v}");
    let d = server.data("admin.roma", reactivate, json!({ "id": id })).await;
    assert_eq!(d["reactivateOperator"]["operator"]["active"], true);
    assert_eq!(server.data("op.nuovo", "{ me { username } }", json!({})).await["me"]["username"], "op.nuovo");
    use sea_orm::ConnectionTrait;
    let db = server.db().await;
    let sql = format!(
        "SELECT COUNT(*) FROM audit_events WHERE record_kind = 'operator' AND record_id = {} \
         AND action IN ('operator.create', 'operator.update', 'operator.deactivate', 'operator.reactivate')",
        common::key(&id)
    );
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 4);
}

on_both!(operator_administration, operators);

/// A unit's name and national codes corrected by its administrators: the INPS ente code the
/// flows need, checked as for a new unit, nothing written on bad input; another
/// administration's unit is out of reach; the change is in the access log.
async fn unit_codes(server: &Server) {
    let roma = unit(server, "Roma Capitale").await;
    let lecce = unit(server, "Comune di Lecce").await;
    let update = r#"mutation($u: ID!, $n: String, $i: String, $c: String) { updateOrgUnit(input: { orgUnitId: $u, name: $n, inpsEnteCode: $i, cadastralCode: $c }) { orgUnit { name inpsEnteCode cadastralCode } errors { code field } } }"#;
    let d = server.data("admin.roma", update, json!({ "u": roma, "i": "RM0001" })).await;
    assert_eq!(
        d["updateOrgUnit"]["orgUnit"],
        json!({ "name": "Roma Capitale", "inpsEnteCode": "RM0001", "cadastralCode": "H501" })
    );
    for (vars, code, field) in [
        (json!({ "u": roma, "i": "RM-0001" }), "INVALID_CODE", "inpsEnteCode"),
        (json!({ "u": roma, "i": "9".repeat(33) }), "INVALID_CODE", "inpsEnteCode"),
        (json!({ "u": roma, "c": "h501" }), "INVALID_CADASTRAL_CODE", "cadastralCode"),
        (json!({ "u": roma, "n": " " }), "REQUIRED", "name"),
        (json!({ "u": common::gid("OrgUnit", 987_654_321), "i": "X1" }), "NOT_FOUND", "orgUnitId"),
        (json!({ "u": common::gid("Case", 1), "i": "X1" }), "INVALID_ID", "orgUnitId"),
    ] {
        let v = unchanged(server, "admin.roma", update, vars.clone()).await;
        assert_eq!(v["data"]["updateOrgUnit"]["errors"], json!([{ "code": code, "field": field }]), "{vars}: {v}");
    }
    let v = unchanged(server, "admin.roma", update, json!({ "u": lecce, "i": "LE0001" })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    let v = unchanged(server, "op.roma1", update, json!({ "u": roma, "i": "RM0002" })).await;
    assert_eq!(top_code(&v), "FORBIDDEN", "{v}");
    use sea_orm::ConnectionTrait;
    let db = server.db().await;
    let sql = format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'org_unit.update' AND record_id = {}",
        common::key(&roma)
    );
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 1);
}

on_both!(unit_administration, unit_codes);
