//! Every step of the case lifecycle over HTTP, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, s};
use serde_json::{Value, json};

/// Finds the id of the node whose `field` equals `value` in a list.
pub fn find(list: &Value, field: &str, value: &str) -> String {
    let node =
        list.as_array().unwrap().iter().find(|n| n[field] == value).unwrap_or_else(|| panic!("no {field} = {value}"));
    s(&node["id"])
}

/// Reference ids from the demo data.
pub struct Refs {
    pub office: String,
    pub contr_eco: String,
    pub sad: String,
    pub res_min: String,
    pub poverty_fund: String,
    pub provider: String,
}

pub async fn refs(server: &Server) -> Refs {
    let d = server
        .data(
            "op.perugia",
            "{ orgUnits { id name } catalogue { id localCode } funds { id kind } providers { id name } }",
            json!({}),
        )
        .await;
    Refs {
        office: find(&d["orgUnits"], "name", "Perugia - Segretariato sociale"),
        contr_eco: find(&d["catalogue"], "localCode", "CONTR-ECO"),
        sad: find(&d["catalogue"], "localCode", "SAD"),
        res_min: find(&d["catalogue"], "localCode", "RES-MIN"),
        poverty_fund: find(&d["funds"], "kind", "poverty"),
        provider: s(&d["providers"][0]["id"]),
    }
}

fn ok<'a>(d: &'a Value, mutation: &str) -> &'a Value {
    let p = &d[mutation];
    assert_eq!(p["errors"], json!([]), "{mutation} failed: {p}");
    p
}

async fn lifecycle(server: &Server) {
    let r = refs(server).await;
    let op = "op.perugia";
    let amm = "amm.perugia";

    // A person with a valid codice fiscale, an ISEE, an access sheet forwarded to a case.
    let d = server
        .data(op, r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, fiscalCode: "rssmra85t10a562s", surname: "Rossi", givenName: "Mario", sex: M, birthDate: "1985-12-10" }) { person { id fiscalCode } errors { code field message } } }"#, json!({ "o": r.office }))
        .await;
    let person = s(&ok(&d, "createPerson")["person"]["id"]);
    assert_eq!(d["createPerson"]["person"]["fiscalCode"], "RSSMRA85T10A562S");

    let d = server
        .data(op, r#"mutation($p: ID!) { recordIsee(input: { personId: $p, kind: ordinary, dsuProtocol: "INPS-ISEE-2026-1", dsuYear: 2026, dsuDate: "2026-01-15", value: "4800", validFrom: "2026-01-15", validUntil: "2026-12-31" }) { isee { id value } errors { code } } }"#, json!({ "p": person }))
        .await;
    let isee = s(&ok(&d, "recordIsee")["isee"]["id"]);
    assert_eq!(d["recordIsee"]["isee"]["value"], "4800.00");

    let d = server
        .data(op, r#"mutation($o: ID!, $p: ID!) { openAccessSheet(input: { orgUnitId: $o, personId: $p, accessOn: "2026-02-01", channel: in_person, reporter: self, referralSource: beneficiary, reasons: ["economic_hardship"], privacyConsent: true }) { accessSheet { id state referralSource } errors { code } } }"#, json!({ "o": r.office, "p": person }))
        .await;
    let sheet = s(&ok(&d, "openAccessSheet")["accessSheet"]["id"]);
    // INPS's source of the referral, stored and read back as its stable code.
    let read =
        server.data(op, "query($s: ID!) { accessSheet(id: $s) { referralSource } }", json!({ "s": sheet })).await;
    assert_eq!(read["accessSheet"]["referralSource"], "beneficiary");
    let d = server
        .data(op, r#"mutation($s: ID!) { forwardAccessSheet(accessSheetId: $s, area: poverty, openedOn: "2026-02-01") { case { id state person { id } } errors { code } } }"#, json!({ "s": sheet }))
        .await;
    let case = s(&ok(&d, "forwardAccessSheet")["case"]["id"]);
    assert_eq!(d["forwardAccessSheet"]["case"]["state"], "open");
    let d =
        server.data(op, "query($s: ID!) { accessSheet(id: $s) { state case { id } } }", json!({ "s": sheet })).await;
    assert_eq!(d["accessSheet"]["state"], "forwarded");
    assert_eq!(s(&d["accessSheet"]["case"]["id"]), case);

    // Need, assessment, plan and its review.
    let d = server.data(op, r#"mutation($c: ID!) { recordNeed(caseId: $c, code: "economic_hardship", severity: 3, recordedOn: "2026-02-01") { need { id severity } errors { code } } }"#, json!({ "c": case })).await;
    ok(&d, "recordNeed");
    let d = server
        .data(op, r#"mutation($c: ID!) { recordAssessment(input: { caseId: $c, instrument: local, assessedOn: "2026-02-02", assessor: "Servizio sociale", answers: [{ question: "income", answer: "none" }], score: 12 }) { assessment { id score answers { question answer } } errors { code } } }"#, json!({ "c": case }))
        .await;
    assert_eq!(ok(&d, "recordAssessment")["assessment"]["score"], 12);
    let d = server
        .data(op, r#"mutation($c: ID!) { createPlan(input: { caseId: $c, kind: pai, startsOn: "2026-02-03", reviewEveryMonths: 3, objectives: [{ term: short, description: "Stable income for the household" }] }) { plan { id nextReviewOn objectives { id } } errors { code } } }"#, json!({ "c": case }))
        .await;
    let plan = ok(&d, "createPlan")["plan"].clone();
    assert_eq!(plan["nextReviewOn"], "2026-05-03");
    let objective = s(&plan["objectives"][0]["id"]);
    let d = server
        .data(op, r#"mutation($p: ID!, $o: ID!) { reviewPlan(planId: $p, reviewedOn: "2026-04-30", attainments: [{ objectiveId: $o, attainment: partly }], notes: "On track") { plan { nextReviewOn objectives { attainment } reviews { reviewedOn } } errors { code } } }"#, json!({ "p": plan["id"], "o": objective }))
        .await;
    assert_eq!(ok(&d, "reviewPlan")["plan"]["nextReviewOn"], "2026-07-30");
    let d = server
        .data(
            op,
            "query($c: ID!) { case(id: $c) { plan { objectives { attainment } reviews { reviewedOn } } } }",
            json!({ "c": case }),
        )
        .await;
    assert_eq!(d["case"]["plan"]["objectives"][0]["attainment"], "partly");
    assert_eq!(d["case"]["plan"]["reviews"][0]["reviewedOn"], "2026-04-30");

    // Budget: a funding line and a commitment.
    let d = server
        .data(amm, r#"mutation($f: ID!, $o: ID!) { createFundingLine(input: { fundId: $f, orgUnitId: $o, name: "Contributi 2026", year: 2026, chapter: "U.1.04", amount: "10000" }) { fundingLine { id available } errors { code } } }"#, json!({ "f": r.poverty_fund, "o": r.office }))
        .await;
    let line = s(&ok(&d, "createFundingLine")["fundingLine"]["id"]);
    let d = server.data(amm, r#"mutation($l: ID!) { commitFunds(fundingLineId: $l, amount: "1000", description: "Act 12") { commitment { amount } errors { code } } }"#, json!({ "l": line })).await;
    ok(&d, "commitFunds");

    // The contribution: requested by the operator, authorised and paid by the administrative officer.
    let d = server
        .data(op, r#"mutation($c: ID!, $e: ID!, $l: ID!, $i: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "1800", monthlyAmount: "300", startsOn: "2026-03-01", endsOn: "2026-08-31", fundingLineId: $l, iseeId: $i, iseeThreshold: "6000", applicationProtocol: "PG-2026-77" }) { intervention { id state meansTest } errors { code } } }"#, json!({ "c": case, "e": r.contr_eco, "l": line, "i": isee }))
        .await;
    let intervention = s(&ok(&d, "requestIntervention")["intervention"]["id"]);
    assert_eq!(d["requestIntervention"]["intervention"]["state"], "requested");
    let d = server.data(amm, r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "1800") { intervention { state authorisedAmount fundingLine { committed available } } errors { code } } }"#, json!({ "i": intervention })).await;
    let auth = &ok(&d, "authoriseIntervention")["intervention"];
    assert_eq!(auth["state"], "authorised");
    assert_eq!(auth["fundingLine"]["committed"], "2800.00");
    assert_eq!(auth["fundingLine"]["available"], "7200.00");
    let d = server.data(op, r#"mutation($i: ID!) { activateIntervention(interventionId: $i) { intervention { state } errors { code } } }"#, json!({ "i": intervention })).await;
    assert_eq!(ok(&d, "activateIntervention")["intervention"]["state"], "active");
    for (month, from, to) in [("03", "2026-03-01", "2026-03-31"), ("04", "2026-04-01", "2026-04-30")] {
        let d = server
            .data("pay.perugia", r#"mutation($i: ID!, $f: NaiveDate!, $t: NaiveDate!) { recordDisbursement(input: { interventionId: $i, amount: "300", paidOn: $t, periodFrom: $f, periodTo: $t }) { disbursement { amount enteShare userShare } errors { code field message } } }"#, json!({ "i": intervention, "f": from, "t": to }))
            .await;
        let p = ok(&d, "recordDisbursement");
        assert_eq!(p["disbursement"]["enteShare"], "300.00", "month {month}");
    }
    let d = server.data(op, r#"mutation($i: ID!) { suspendIntervention(interventionId: $i, reason: "Travel") { intervention { state } errors { code } } }"#, json!({ "i": intervention })).await;
    assert_eq!(ok(&d, "suspendIntervention")["intervention"]["state"], "suspended");
    let d = server.data(op, r#"mutation($i: ID!) { activateIntervention(interventionId: $i) { intervention { state } errors { code } } }"#, json!({ "i": intervention })).await;
    assert_eq!(ok(&d, "activateIntervention")["intervention"]["state"], "active");
    let d = server.data(op, r#"mutation($i: ID!) { closeIntervention(interventionId: $i, reason: "Ended") { intervention { state disbursedAmount history { fromState toState } } errors { code } } }"#, json!({ "i": intervention })).await;
    let closed = &ok(&d, "closeIntervention")["intervention"];
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["disbursedAmount"], "600.00");
    assert_eq!(closed["history"].as_array().unwrap().len(), 6);
    // Closing gives the unspent €1,200 back to the line: 1,000 + 1,800 - 1,200 committed.
    let d =
        server.data(amm, "query($l: ID!) { fundingLine(id: $l) { committed available } }", json!({ "l": line })).await;
    assert_eq!(d["fundingLine"]["committed"], "1600.00");
    assert_eq!(d["fundingLine"]["available"], "8400.00");

    // A second request, rejected.
    let d = server
        .data(op, r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "900", startsOn: "2026-03-01" }) { intervention { id } errors { code } } }"#, json!({ "c": case, "e": r.sad }))
        .await;
    let second = s(&ok(&d, "requestIntervention")["intervention"]["id"]);
    let d = server.data(amm, r#"mutation($i: ID!) { rejectIntervention(interventionId: $i, reason: "Not eligible") { intervention { state reason } errors { code } } }"#, json!({ "i": second })).await;
    assert_eq!(ok(&d, "rejectIntervention")["intervention"]["state"], "rejected");

    // A residential placement with monthly presences.
    let d = server
        .data(op, r#"mutation($c: ID!, $e: ID!, $p: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "20000", startsOn: "2026-03-01", providerId: $p }) { intervention { id } errors { code } } }"#, json!({ "c": case, "e": r.res_min, "p": r.provider }))
        .await;
    let third = s(&ok(&d, "requestIntervention")["intervention"]["id"]);
    let d = server.data(amm, r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "20000") { errors { code } } }"#, json!({ "i": third })).await;
    ok(&d, "authoriseIntervention");
    let d = server.data(op, r#"mutation($i: ID!, $p: ID!) { createPlacement(interventionId: $i, providerId: $p, dailyFee: "115", startsOn: "2026-03-10") { placement { id } errors { code } } }"#, json!({ "i": third, "p": r.provider })).await;
    let placement = s(&ok(&d, "createPlacement")["placement"]["id"]);
    let d = server.data(op, r#"mutation($p: ID!) { recordPresences(placementId: $p, year: 2026, month: 3, daysPresent: 22) { presence { month daysPresent amountDue } errors { code } } }"#, json!({ "p": placement })).await;
    assert_eq!(ok(&d, "recordPresences")["presence"]["amountDue"], "2530.00");

    // Reassign, close and reopen the case: the history keeps every step.
    let d = server.data(op, "{ me { id } }", json!({})).await;
    let me = s(&d["me"]["id"]);
    let d = server.data(op, r#"mutation($c: ID!, $o: ID!) { reassignCase(caseId: $c, operatorId: $o, reason: "Workload") { case { responsibleOperator { username } } errors { code } } }"#, json!({ "c": case, "o": me })).await;
    assert_eq!(ok(&d, "reassignCase")["case"]["responsibleOperator"]["username"], "op.perugia");
    let d = server.data(op, r#"mutation($c: ID!) { closeCase(caseId: $c, reason: "Goals reached") { case { state closedOn closureReason } errors { code } } }"#, json!({ "c": case })).await;
    assert_eq!(ok(&d, "closeCase")["case"]["state"], "closed");
    let d = server.data(op, r#"mutation($c: ID!) { reopenCase(caseId: $c, reason: "New need") { case { state closedOn } errors { code } } }"#, json!({ "c": case })).await;
    assert_eq!(ok(&d, "reopenCase")["case"]["state"], "reopened");
    let d = server.data(op, "query($c: ID!) { case(id: $c) { history { kind state } interventions { state } needs { code } assessments { score } } }", json!({ "c": case })).await;
    let kinds: Vec<&str> =
        d["case"]["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["opened", "reassigned", "closed", "reopened"]);
    let states: Vec<&str> =
        d["case"]["interventions"].as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["closed", "rejected", "authorised"]);

    // A household.
    let d = server.data(op, r#"mutation($o: ID!, $p: ID!) { createHousehold(orgUnitId: $o, members: [{ personId: $p, relation: head }]) { householdId errors { code } } }"#, json!({ "o": r.office, "p": person })).await;
    ok(&d, "createHousehold");

    // The person can be found by codice fiscale and by name.
    let d = server.data(op, r#"{ byCf: persons(filter: { fiscalCode: "RSSMRA85T10A562S" }) { edges { node { id orgUnit { name } } } } byName: persons(filter: { name: "rossi m" }) { edges { node { id } } } }"#, json!({})).await;
    assert!(d["byCf"]["edges"].as_array().unwrap().iter().any(|e| s(&e["node"]["id"]) == person));
    assert!(d["byName"]["edges"].as_array().unwrap().iter().any(|e| s(&e["node"]["id"]) == person));
}

on_both!(every_lifecycle_step, lifecycle);
