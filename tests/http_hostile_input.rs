//! Bad input gets a typed error and leaves the database exactly as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, s};
use serde_json::{Value, json};

/// Runs `query` and asserts the database did not change; returns the answer.
async fn unchanged(server: &Server, op: Option<&str>, query: &str, vars: Value) -> Value {
    let before = server.fingerprint().await;
    let v = server.gql(op, query, vars).await;
    let after = server.fingerprint().await;
    assert_eq!(before, after, "the database changed after {query}: {v}");
    v
}

/// Asserts a payload carries exactly one user error with this code.
fn user_error(v: &Value, mutation: &str, code: &str) {
    let errors = &v["data"][mutation]["errors"];
    assert_eq!(errors.as_array().map(Vec::len), Some(1), "{mutation}: {v}");
    assert_eq!(errors[0]["code"], code, "{mutation}: {v}");
    assert!(!errors[0]["message"].as_str().unwrap_or("").is_empty());
}

/// Asserts a top-level GraphQL error without internal detail.
fn top_level_error(v: &Value) {
    let errors = v["errors"].as_array().unwrap_or_else(|| panic!("expected a top-level error: {v}"));
    assert!(!errors.is_empty());
    // Every top-level error carries a machine code, whoever raised it.
    for e in errors {
        assert!(e["extensions"]["code"].as_str().is_some_and(|c| !c.is_empty()), "an error without a code: {v}");
    }
    let text = v.to_string().to_lowercase();
    for leak in ["sqlx", "sea_orm", "sqlite", "postgres", "panicked", "stack", "select "] {
        assert!(!text.contains(leak), "internal detail {leak:?} leaked: {v}");
    }
}

async fn ids(server: &Server) -> (String, String, String, String) {
    let d = server
        .data("op.perugia", r#"{ orgUnits { id name } catalogue { id localCode } cases(filter: { states: [open] }) { edges { node { id orgUnit { name } interventions { id state } } } } }"#, json!({}))
        .await;
    let office = d["orgUnits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "Perugia - Segretariato sociale")
        .map(|u| s(&u["id"]))
        .unwrap();
    let entry =
        d["catalogue"].as_array().unwrap().iter().find(|u| u["localCode"] == "CONTR-ECO").map(|u| s(&u["id"])).unwrap();
    let case = d["cases"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["orgUnit"]["name"] == "Perugia - Segretariato sociale")
        .unwrap();
    let interventions = case["node"]["interventions"].as_array().unwrap();
    let active = interventions.iter().find(|i| i["state"] == "active").map(|i| s(&i["id"])).unwrap();
    (office, entry, s(&case["node"]["id"]), active)
}

async fn hostile(server: &Server) {
    let op = Some("op.perugia");
    // Recording a payment is the paymaster's permission, not the social worker's.
    let pay = Some("pay.perugia");
    let (office, entry, case, active) = ids(server).await;

    // Malformed codice fiscale (wrong check character), absurd dates.
    let v = unchanged(server, op, r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, fiscalCode: "RSSMRA85T10A562X", surname: "Rossi", givenName: "Mario", sex: M, birthDate: "1985-12-10" }) { person { id } errors { code field message } } }"#, json!({ "o": office })).await;
    user_error(&v, "createPerson", "INVALID_FISCAL_CODE");
    assert_eq!(v["data"]["createPerson"]["errors"][0]["field"], "fiscalCode");
    assert!(!v.to_string().contains("RSSMRA85T10A562X"), "the code must not be echoed: {v}");
    let v = unchanged(server, op, r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "Rossi", givenName: "Mario", sex: M, birthDate: "2999-01-01" }) { person { id } errors { code field message } } }"#, json!({ "o": office })).await;
    user_error(&v, "createPerson", "INVALID_DATE");
    // The national codes INPS needs: a place of birth agreeing with the codice fiscale (A562 in
    // RSSMRA85T10A562S), in Belfiore form; a citizenship as ISTAT's state code.
    let person = r#"mutation($o: ID!, $p: String, $c: String) { createPerson(input: { orgUnitId: $o, fiscalCode: "RSSMRA85T10A562S", surname: "Rossi", givenName: "Mario", sex: M, birthDate: "1985-12-10", birthPlaceCode: $p, citizenshipCode: $c }) { person { birthPlaceCode citizenshipCode } errors { code field } } }"#;
    for (place, state, code, field) in [
        ("H501", "100", "FISCAL_CODE_MISMATCH", "birthPlaceCode"),
        ("Roma", "100", "INVALID_CADASTRAL_CODE", "birthPlaceCode"),
        ("A562", "Italia", "INVALID_STATE_CODE", "citizenshipCode"),
    ] {
        let v = unchanged(server, op, person, json!({ "o": office, "p": place, "c": state })).await;
        assert_eq!(v["data"]["createPerson"]["errors"], json!([{ "code": code, "field": field }]), "{v}");
    }
    // Left out, the place of birth is the one the codice fiscale names.
    let d = server.data("op.perugia", person, json!({ "o": office, "p": null, "c": "100" })).await;
    assert_eq!(d["createPerson"]["person"], json!({ "birthPlaceCode": "A562", "citizenshipCode": "100" }), "{d}");
    let v = unchanged(server, op, r#"mutation { createPerson(input: { orgUnitId: "999999", surname: "Rossi", givenName: "Mario", sex: X, birthDate: "1980-01-01" }) { person { id } errors { code field message } } }"#, json!({})).await;
    // Codes are GraphQL enums: the schema refuses an unknown one before anything runs, inline or
    // as a variable.
    top_level_error(&v);
    assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{v}");
    let v = unchanged(server, op, r#"mutation($o: ID!, $s: Sex!) { createPerson(input: { orgUnitId: $o, surname: "Rossi", givenName: "Mario", sex: $s, birthDate: "1980-01-01" }) { person { id } errors { code field message } } }"#, json!({ "o": office, "s": "X" })).await;
    top_level_error(&v);
    for filter in [r#"states: [opened]"#, r#"states: ["opened"]"#, r#"area: "elder""#, r#"area: ELDERLY"#] {
        let query = format!("{{ cases(filter: {{ {filter} }}) {{ edges {{ node {{ id }} }} }} }}");
        let v = unchanged(server, op, &query, json!({})).await;
        top_level_error(&v);
    }

    // Negative, zero, imprecise and absurd amounts.
    let disb = r#"mutation($i: ID!, $a: Money!) { recordDisbursement(input: { interventionId: $i, amount: $a, paidOn: "2026-07-01", periodFrom: "2026-06-01", periodTo: "2026-06-30" }) { disbursement { id } errors { code field message } } }"#;
    for amount in ["-300", "0"] {
        let v = unchanged(server, pay, disb, json!({ "i": active, "a": amount })).await;
        user_error(&v, "recordDisbursement", "INVALID_AMOUNT");
    }
    for amount in ["1.005", "99999999999999999", "1e9", "NaN"] {
        let v = unchanged(server, pay, disb, json!({ "i": active, "a": amount })).await;
        top_level_error(&v);
    }
    let v = unchanged(server, pay, disb, json!({ "i": active, "a": 1.5 })).await;
    top_level_error(&v);
    // A whole number of euro so large that ×100 would overflow.
    let v = unchanged(server, pay, disb, json!({ "i": active, "a": 4_611_686_018_427_387_908_i64 })).await;
    top_level_error(&v);
    // More than what is left of the authorised amount.
    let v = unchanged(server, pay, disb, json!({ "i": active, "a": "5000" })).await;
    user_error(&v, "recordDisbursement", "OVER_AUTHORISED");

    // Unknown ids.
    let v = unchanged(server, pay, disb, json!({ "i": common::gid("Intervention", 987_654), "a": "10" })).await;
    user_error(&v, "recordDisbursement", "NOT_FOUND");
    let v = unchanged(server, pay, disb, json!({ "i": "not-a-number", "a": "10" })).await;
    user_error(&v, "recordDisbursement", "INVALID_ID");
    let missing_case = common::gid("Case", 424_242);
    let v = unchanged(
        server,
        op,
        r#"mutation($c: ID!) { closeCase(caseId: $c, reason: "x") { case { id } errors { code field message } } }"#,
        json!({ "c": missing_case }),
    )
    .await;
    user_error(&v, "closeCase", "NOT_FOUND");
    let v = unchanged(server, op, r#"query($c: ID!) { case(id: $c) { id } }"#, json!({ "c": missing_case })).await;
    assert_eq!(v["data"]["case"], Value::Null);
    // An id of another type, or the bare key, is not a case's id.
    let v = unchanged(
        server,
        op,
        r#"mutation { closeCase(caseId: "424242", reason: "x") { case { id } errors { code field message } } }"#,
        json!({}),
    )
    .await;
    user_error(&v, "closeCase", "INVALID_ID");

    // Forbidden state transitions.
    let v = unchanged(server, Some("amm.perugia"), r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "10") { intervention { id } errors { code field message } } }"#, json!({ "i": active })).await;
    user_error(&v, "authoriseIntervention", "INVALID_TRANSITION");
    // A social worker may not authorise at all: a typed denial, nothing written.
    let v = unchanged(server, op, r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "10") { intervention { id } errors { code field message } } }"#, json!({ "i": active })).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{v}");
    let v = unchanged(
        server,
        op,
        r#"mutation($c: ID!) { reopenCase(caseId: $c) { case { id } errors { code field message } } }"#,
        json!({ "c": case }),
    )
    .await;
    user_error(&v, "reopenCase", "INVALID_TRANSITION");
    let v = unchanged(
        server,
        op,
        r#"mutation($c: ID!) { closeCase(caseId: $c, reason: " ") { case { id } errors { code field message } } }"#,
        json!({ "c": case }),
    )
    .await;
    user_error(&v, "closeCase", "REQUIRED");

    // Over-budget commitment.
    let d = server
        .data(
            "amm.perugia",
            "{ fundingLines(first: 50) { edges { node { id available orgUnit { name } } } } }",
            json!({}),
        )
        .await;
    let line = d["fundingLines"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["orgUnit"]["name"] == "Comune di Perugia")
        .unwrap();
    let available = line["node"]["available"].as_str().unwrap();
    let whole: i64 = available.split('.').next().unwrap().parse().unwrap();
    let too_much = format!("{}", whole + 1);
    let v = unchanged(server, Some("amm.perugia"), r#"mutation($l: ID!, $a: Money!) { commitFunds(fundingLineId: $l, amount: $a) { commitment { id } errors { code field message } } }"#, json!({ "l": line["node"]["id"], "a": too_much })).await;
    user_error(&v, "commitFunds", "INSUFFICIENT_FUNDS");

    // Dates out of order: work dated before the case was opened; a reopening dated before
    // the closure.
    let v = unchanged(server, op, r#"mutation($c: ID!) { recordNeed(caseId: $c, code: "x", severity: 1, recordedOn: "2001-01-01") { need { id } errors { code field message } } }"#, json!({ "c": case })).await;
    user_error(&v, "recordNeed", "INVALID_DATE");

    // An authorisation above the amount requested.
    let d = server
        .data("op.perugia", r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "100", startsOn: "2026-11-01" }) { intervention { id } errors { code } } }"#, json!({ "c": case, "e": entry }))
        .await;
    let requested = s(&d["requestIntervention"]["intervention"]["id"]);
    let v = unchanged(server, Some("amm.perugia"), r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "101") { intervention { id } errors { code field message } } }"#, json!({ "i": requested })).await;
    user_error(&v, "authoriseIntervention", "OVER_REQUESTED");
    // A request left on a case that was then closed cannot be authorised.
    let d = server.data("op.perugia", r#"mutation($c: ID!) { closeCase(caseId: $c, reason: "Moved away", on: "2026-11-20") { case { state } errors { code message } } }"#, json!({ "c": case })).await;
    assert_eq!(d["closeCase"]["case"]["state"], "closed", "{d}");
    let v = unchanged(server, Some("amm.perugia"), r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "100") { intervention { id } errors { code field message } } }"#, json!({ "i": requested })).await;
    user_error(&v, "authoriseIntervention", "CASE_NOT_ACTIVE");
    let v = unchanged(server, op, r#"mutation($c: ID!) { reopenCase(caseId: $c, on: "2026-11-10") { case { id } errors { code field message } } }"#, json!({ "c": case })).await;
    user_error(&v, "reopenCase", "INVALID_DATE");

    // No new intervention on a closed case.
    let d =
        server.data("op.lodi", r#"{ cases(filter: { states: [closed] }) { edges { node { id } } } }"#, json!({})).await;
    let closed = s(&d["cases"]["edges"][0]["node"]["id"]);
    let v = unchanged(server, Some("op.lodi"), r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "100", startsOn: "2026-03-01" }) { intervention { id } errors { code field message } } }"#, json!({ "c": closed, "e": entry })).await;
    user_error(&v, "requestIntervention", "CASE_NOT_ACTIVE");

    // Anonymous requests see no personal data and change nothing.
    let v = unchanged(server, None, r#"{ cases(first: 5) { edges { node { id } } } }"#, json!({})).await;
    top_level_error(&v);
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let v = unchanged(server, None, r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "A", givenName: "B", sex: M, birthDate: "1980-01-01" }) { person { id } errors { code field message } } }"#, json!({ "o": office })).await;
    top_level_error(&v);

    // Malformed GraphQL and over-deep queries.
    let v = unchanged(server, op, "mutation { closeCase(caseId: ", json!({})).await;
    top_level_error(&v);
    assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{v}");
    let deep = format!(
        "{{ cases(first: 1) {{ edges {{ node {{ {} }} }} }} }}",
        "person { cases { person { cases { person { cases { person { cases { person { cases { person { cases { id } } } } } } } } } } } }"
    );
    let v = unchanged(server, op, &deep, json!({})).await;
    top_level_error(&v);
    assert!(v["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("too deep"), "{v}");

    // Oversized bodies are refused before parsing.
    let before = server.fingerprint().await;
    let big = "x".repeat(2 * 1024 * 1024);
    // The server answers 413 as soon as the declared length is over the limit and may close
    // the connection while the client is still writing the body (a broken pipe on the
    // client's side): retry until the answer itself is read.
    let mut status = None;
    for _ in 0..5 {
        let sent = server
            .http()
            .post(format!("{}/graphql", server.url))
            .header("content-type", "application/json")
            .header("x-siso-operator", "op.perugia")
            .body(format!("{{\"query\":\"{{ me {{ id }} }}\",\"variables\":{{\"pad\":\"{big}\"}}}}"))
            .send()
            .await;
        if let Ok(resp) = sent {
            status = Some(resp.status().as_u16());
            break;
        }
    }
    assert_eq!(status, Some(413));
    assert_eq!(before, server.fingerprint().await);
}

/// The value of a `/metrics` line (0 when absent).
async fn metric(server: &Server, line: &str) -> u64 {
    let text = server.http().get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    text.lines().find_map(|l| l.strip_prefix(line)).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// Amplification: a request cannot multiply work through aliases, fields or mutations, lists
/// are paginated, and reference lists need a signed-in actor.
async fn amplification(server: &Server) {
    // 2,400 aliased reference lists in one anonymous request: refused before anything runs.
    let aliased: String = (0..2400).map(|i| format!("u{i}: orgUnits {{ id name }} ")).collect();
    let v = unchanged(server, None, &format!("{{ {aliased} }}"), json!({})).await;
    top_level_error(&v);
    assert_eq!(v["errors"][0]["extensions"]["code"], "QUERY_TOO_LARGE", "{}", &v.to_string()[..300]);
    assert!(v.get("data").is_none_or(Value::is_null), "nothing ran");
    // The same as a signed-in operator, and through a fragment.
    let q = format!("{{ ...F }} fragment F on Query {{ {aliased} }}");
    let v = unchanged(server, Some("op.perugia"), &q, json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "QUERY_TOO_LARGE");
    // Many mutations in one request.
    let m: String =
        (0..11).map(|i| format!("m{i}: revokeApiKey(apiKeyId: \"{i}\") {{ errors {{ code }} }} ")).collect();
    let v = unchanged(server, Some("admin.umbria"), &format!("mutation {{ {m} }}"), json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "QUERY_TOO_LARGE", "{v}");
    // Reference lists are for signed-in actors.
    for q in ["{ orgUnits { id } }", "{ catalogue { id } }", "{ funds { id } }", "{ providers { id } }"] {
        let v = server.gql(None, q, json!({})).await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{q}: {v}");
    }
    // The access log comes a page at a time.
    let d = server.data("op.perugia", "{ persons(first: 1) { edges { node { id } } } }", json!({})).await;
    let person = s(&d["persons"]["edges"][0]["node"]["id"]);
    for _ in 0..3 {
        server.data("op.perugia", "query($p: ID!) { person(id: $p) { id } }", json!({ "p": person })).await;
    }
    let q = "query($p: ID!, $a: String) { accessLog(personId: $p, first: 2, after: $a) { edges { cursor node { action } } pageInfo { hasNextPage endCursor } } }";
    let d = server.data("admin.umbria", "{ me { id } }", json!({})).await;
    assert!(d["me"]["id"].is_string());
    let v = server.gql(Some("op.perugia"), q, json!({ "p": person })).await;
    assert_eq!(v["data"]["accessLog"]["edges"], json!([]), "not an auditor: {v}");
}

/// Probing ids and permissions leaves a trace: the denials of a request are counted by kind in
/// `/metrics` and logged with the actor and the counts, never the ids.
async fn denials_leave_a_trace(server: &Server) {
    let d = server.data("op.roma1", "{ cases(first: 50) { edges { node { id } } } }", json!({})).await;
    let mine: Vec<String> = d["cases"]["edges"].as_array().unwrap().iter().map(|e| s(&e["node"]["id"])).collect();
    let before = metric(server, "siso_authz_hidden_total{kind=\"case\"} ").await;
    // Another administration's cases, by id, 20 at a time.
    let probe: String =
        mine.iter().take(20).enumerate().map(|(i, c)| format!("c{i}: case(id: \"{c}\") {{ id }} ")).collect();
    let v = server.gql(Some("op.perugia"), &format!("{{ {probe} }}"), json!({})).await;
    assert!(v["data"].as_object().unwrap().values().all(Value::is_null), "{v}");
    let after = metric(server, "siso_authz_hidden_total{kind=\"case\"} ").await;
    let n = mine.len().min(20) as u64;
    assert!(after >= before + n, "{n} hidden cases must be counted: {before} → {after}");
    let log = server.log();
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("request denied records") && l.contains("op.perugia"))
        .unwrap_or_else(|| panic!("no denial line in the log"));
    assert!(line.contains(&format!("hidden={n}")) || line.contains(&format!("\"hidden\":{n}")), "{line}");
    for c in mine.iter().take(20) {
        assert!(!line.contains(&format!("\"{c}\"")), "the log names an id: {line}");
    }
    // Forbidden actions are counted by permission.
    let before = metric(server, "siso_authz_forbidden_total{permission=\"sensitive/read\"} ").await;
    let q = "query($id: ID!) { case(id: $id) { assessments { answers { question } } } }";
    for c in &mine {
        let v = server.gql(Some("pay.roma1"), q, json!({ "id": c })).await;
        if v["errors"][0]["extensions"]["code"] == "FORBIDDEN" {
            let after = metric(server, "siso_authz_forbidden_total{permission=\"sensitive/read\"} ").await;
            assert!(after > before, "a forbidden read of health answers must be counted");
            return;
        }
    }
    panic!("no case of Municipio I has an assessment");
}

async fn limits_and_traces(server: &Server) {
    amplification(server).await;
    denials_leave_a_trace(server).await;
}

on_both!(bad_input_is_refused_and_changes_nothing, hostile);
on_both!(amplification_is_refused_and_probing_is_counted, limits_and_traces);
