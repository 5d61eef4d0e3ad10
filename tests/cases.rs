//! The three cases of domain.md, end to end over GraphQL against the demo deployment: the demo
//! data with the administrations' plug-ins (Umbria, Rete Comuni, Lazio, co-payment) built from
//! `plugins/`, signed, installed and enabled as `siso demo` does. Each case asserts the amounts,
//! the vetoes with their reasons and the plug-in (id and version) that decided.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Db, Server, s};
use serde_json::{Value, json};

const LAZIO: &str = "it.regione.lazio.fna";
const RETE: &str = "it.anci.lombardia.retecomuni";
const UMBRIA: &str = "it.regione.umbria.siso";
const COPAY: &str = "it.siso.compartecipazione";
const VERSION: &str = "1.0.0";

/// The payload of a mutation that must succeed.
async fn ok(server: &Server, op: &str, query: &str, vars: Value) -> Value {
    let d = server.data(op, query, vars).await;
    let (name, payload) = d.as_object().and_then(|o| o.iter().next()).expect("one mutation");
    assert_eq!(payload["errors"], json!([]), "{name} as {op} failed: {payload}");
    payload.clone()
}

/// The errors of a mutation that must fail, as (code, field, plugin).
async fn refused(server: &Server, op: &str, query: &str, vars: Value) -> Vec<(String, String, String)> {
    let d = server.data(op, query, vars).await;
    let (name, payload) = d.as_object().and_then(|o| o.iter().next()).expect("one mutation");
    let errors = payload["errors"].as_array().unwrap_or_else(|| panic!("{name}: {payload}"));
    assert!(!errors.is_empty(), "{name} as {op} should have been refused: {payload}");
    errors
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap_or_default().to_string(),
                e["field"].as_str().unwrap_or_default().to_string(),
                e["plugin"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A mutation refused for want of permission (a GraphQL error with code FORBIDDEN).
async fn forbidden(server: &Server, op: &str, query: &str, vars: Value) {
    let d = server.gql(Some(op), query, vars).await;
    assert_eq!(d["errors"][0]["extensions"]["code"], "FORBIDDEN", "{op} should be forbidden: {d}");
}

fn has(errors: &[(String, String, String)], code: &str, field: &str, plugin: &str) -> bool {
    errors.iter().any(|(c, f, p)| c == code && f == field && p == &format!("{plugin}@{VERSION}"))
}

/// Ids by name (units), by local code (catalogue) and by name (providers).
struct Refs(Value);

impl Refs {
    async fn load(server: &Server, op: &str, unit: Option<&str>) -> Refs {
        let d = server.data(op, "{ orgUnits { id name } providers { id name } }", json!({})).await;
        let mut v = d.clone();
        if let Some(u) = unit {
            let org = find(&d["orgUnits"], "name", u);
            let c = server
                .data(op, "query($o: ID!) { catalogue(orgUnitId: $o) { id localCode inpsCode inpsArea sinaRequired orgUnitId } }", json!({ "o": org }))
                .await;
            v["catalogue"] = c["catalogue"].clone();
        }
        Refs(v)
    }
    fn unit(&self, name: &str) -> String {
        find(&self.0["orgUnits"], "name", name)
    }
    /// The one entry with `code` a case of the unit may use.
    fn entry(&self, code: &str) -> &Value {
        let found: Vec<&Value> =
            self.0["catalogue"].as_array().unwrap().iter().filter(|e| e["localCode"] == code).collect();
        assert_eq!(found.len(), 1, "catalogue entry {code}: {}", self.0["catalogue"]);
        found[0]
    }
    fn provider(&self, name: &str) -> String {
        find(&self.0["providers"], "name", name)
    }
}

fn find(list: &Value, field: &str, value: &str) -> String {
    let node = list
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {list}"));
    s(&node["id"])
}

/// The stored plug-in results of an intervention for `hook`.
fn results<'a>(intervention: &'a Value, hook: &str) -> Vec<&'a Value> {
    intervention["pluginResults"].as_array().unwrap().iter().filter(|r| r["hook"] == hook).collect()
}

const PERSON: &str = r#"mutation($o: ID!, $sn: String!, $gn: String!, $sex: String!, $b: NaiveDate!) {
  createPerson(input: { orgUnitId: $o, surname: $sn, givenName: $gn, sex: $sex, birthDate: $b }) { person { id } errors { code field message } } }"#;
const ISEE: &str = r#"mutation($p: ID!, $k: String!, $v: Money!) {
  recordIsee(input: { personId: $p, kind: $k, dsuProtocol: "INPS-ISEE-2026-00042-00", dsuYear: 2026, dsuDate: "2026-01-20", value: $v, validFrom: "2026-01-20", validUntil: "2026-12-31" }) { isee { id } errors { code field message } } }"#;
const SHEET: &str = r#"mutation($o: ID!, $p: ID!, $on: NaiveDate!, $rep: String!, $r: [String!]!) {
  openAccessSheet(input: { orgUnitId: $o, personId: $p, accessOn: $on, channel: in_person, reporter: $rep, reasons: $r, privacyConsent: true }) { accessSheet { id } errors { code field message plugin } } }"#;
const FORWARD: &str = r#"mutation($s: ID!, $a: String!, $on: NaiveDate!) {
  forwardAccessSheet(accessSheetId: $s, area: $a, openedOn: $on) { case { id state } errors { code field message plugin } } }"#;
const REQUEST: &str = r#"mutation($c: ID!, $e: ID!, $pl: ID, $req: Money!, $m: Money, $from: NaiveDate!, $to: NaiveDate, $pr: ID, $i: ID, $t: Money) {
  requestIntervention(input: { caseId: $c, catalogueEntryId: $e, planId: $pl, requestedAmount: $req, monthlyAmount: $m, startsOn: $from, endsOn: $to, providerId: $pr, iseeId: $i, iseeThreshold: $t }) {
    intervention { id state coPaymentMonthly pluginResults { plugin version hook outcome amount reasons { code field message } } }
    errors { code field message plugin } } }"#;
const AUTHORISE: &str = r#"mutation($i: ID!, $a: Money!) {
  authoriseIntervention(interventionId: $i, authorisedAmount: $a) {
    intervention { id state authorisedAmount pluginResults { plugin version hook outcome amount reasons { code } } }
    errors { code field message plugin } } }"#;
const ACTIVATE: &str = r#"mutation($i: ID!) { activateIntervention(interventionId: $i) { intervention { state } errors { code field message } } }"#;
const PAY: &str = r#"mutation($i: ID!, $a: Money!, $u: Money, $on: NaiveDate!, $from: NaiveDate!, $to: NaiveDate!) {
  recordDisbursement(input: { interventionId: $i, amount: $a, userShare: $u, paidOn: $on, periodFrom: $from, periodTo: $to }) {
    disbursement { id amount enteShare userShare } errors { code field message plugin } } }"#;
const INTERVENTION: &str = r#"query($i: ID!) { intervention(id: $i) {
  state authorisedAmount disbursedAmount coPaymentMonthly catalogueEntry { inpsCode inpsArea sinaRequired }
  disbursements { amount } pluginResults { plugin version hook outcome amount reasons { code } } } }"#;

/// Case 1: an elderly non-self-sufficient person at the PUA of Roma's Municipio I: access,
/// case, UVM assessment (SVAMA, totally dependent, moves assisted, SINA data set), a PAI reviewed
/// every 6 months, an *assegno di cura* of the FNA for *disabilità gravissima* within Lazio's
/// band for her socio-sanitary ISEE, monthly payments; the district of Municipio VII sets its
/// own bands.
async fn elderly_person_in_roma(server: &Server) {
    let (op, amm, pay) = ("op.roma1", "amm.roma1", "pay.roma1");
    let r = Refs::load(server, op, Some("Municipio I - PUA")).await;
    let pua = r.unit("Municipio I - PUA");
    let adc = r.entry("FNA-ADC").clone();
    // The Lazio plug-in's catalogue was imported for the Region at enablement.
    assert_eq!(adc["inpsCode"], "A1.11");
    assert_eq!(adc["sinaRequired"], true);
    assert_eq!(adc["orgUnitId"], json!(r.unit("Regione Lazio")));

    let p = ok(server, op, PERSON, json!({ "o": pua, "sn": "Bianchi", "gn": "Elena", "sex": "F", "b": "1936-05-10" }))
        .await;
    let person = s(&p["person"]["id"]);
    let isee = ok(server, op, ISEE, json!({ "p": person, "k": "socio_health", "v": "12000" })).await;
    let isee = s(&isee["isee"]["id"]);
    let sheet = ok(
        server,
        op,
        SHEET,
        json!({ "o": pua, "p": person, "on": "2026-06-01", "rep": "family", "r": ["non_self_sufficiency"] }),
    )
    .await;
    let case =
        ok(server, op, FORWARD, json!({ "s": s(&sheet["accessSheet"]["id"]), "a": "elderly", "on": "2026-06-01" }))
            .await;
    let case = s(&case["case"]["id"]);

    // Before the UVM has assessed her, the Region's rules do not make her eligible.
    let d = ok(server, op, REQUEST, json!({ "c": case, "e": adc["id"], "req": "7200", "m": "1200", "from": "2026-07-01", "to": "2026-12-31", "i": isee })).await;
    let early = s(&d["intervention"]["id"]);
    let e = results(&d["intervention"], "decide.eligibility");
    assert_eq!(e.len(), 1, "{d}");
    assert_eq!(
        (&e[0]["plugin"], &e[0]["version"], &e[0]["outcome"]),
        (&json!(LAZIO), &json!(VERSION), &json!("not_eligible"))
    );
    assert!(e[0]["reasons"].as_array().unwrap().iter().any(|x| x["code"] == "UVM_ASSESSMENT_MISSING"), "{d}");
    let errors = refused(server, amm, AUTHORISE, json!({ "i": early, "a": "7200" })).await;
    assert!(has(&errors, "UVM_ASSESSMENT_MISSING", "assessments", LAZIO), "{errors:?}");
    ok(server, amm, r#"mutation($i: ID!) { rejectIntervention(interventionId: $i, reason: "No UVM assessment yet") { intervention { state } errors { code } } }"#, json!({ "i": early })).await;

    // The UVM assesses her: SVAMA, daily living totally dependent, moves assisted, disabilità
    // gravissima; the SINA data set for the PSA record.
    ok(server, op, r#"mutation($c: ID!) { recordAssessment(input: { caseId: $c, instrument: svama, assessedOn: "2026-06-10", assessor: "UVM",
        answers: [{ question: "fna_condition", answer: "gravissima" }, { question: "daily_living", answer: "totally_dependent" }, { question: "mobility", answer: "assisted" }],
        sina: { mobility: 3, dailyLiving: 3, cognitive: 2, behavioural: 1, healthNeed: 3, income: 2, supportNetwork: 2, source: 1, instrument: 1 } }) { assessment { id } errors { code field message } } }"#, json!({ "c": case })).await;
    let plan = ok(server, op, r#"mutation($c: ID!) { createPlan(input: { caseId: $c, kind: pai, startsOn: "2026-06-15", plannedEndOn: "2027-06-14", reviewEveryMonths: 6,
        objectives: [{ term: medium, description: "Care at home with the family caregiver", dueOn: "2026-12-15" }] }) { plan { id nextReviewOn } errors { code field message } } }"#, json!({ "c": case })).await;
    assert_eq!(plan["plan"]["nextReviewOn"], "2026-12-15");
    let plan = s(&plan["plan"]["id"]);

    // Asked above the band: eligible for €1,200 (ISEE €12,000: first band), but authorising
    // €1,300 a month is vetoed, with the reasons, by the Region's plug-in.
    let d = ok(server, op, REQUEST, json!({ "c": case, "e": adc["id"], "pl": plan, "req": "7800", "m": "1300", "from": "2026-07-01", "to": "2026-12-31", "i": isee })).await;
    let above = s(&d["intervention"]["id"]);
    let e = results(&d["intervention"], "decide.eligibility");
    assert_eq!((&e[0]["plugin"], &e[0]["version"]), (&json!(LAZIO), &json!(VERSION)));
    assert_eq!((&e[0]["outcome"], &e[0]["amount"]), (&json!("eligible"), &json!("1200.00")), "{d}");
    assert_eq!(e[0]["reasons"][0]["code"], "FNA_BAND");
    assert!(e[0]["reasons"][0]["message"].as_str().unwrap().contains("Municipio Roma I"), "{d}");
    let errors = refused(server, amm, AUTHORISE, json!({ "i": above, "a": "7800" })).await;
    assert!(has(&errors, "AMOUNT_ABOVE_BAND", "monthlyAmount", LAZIO), "{errors:?}");
    assert!(has(&errors, "AUTHORISED_ABOVE_BAND", "authorisedAmount", LAZIO), "{errors:?}");
    let d = server.data(op, INTERVENTION, json!({ "i": above })).await;
    assert_eq!(d["intervention"]["state"], "requested", "a veto writes nothing: {d}");
    assert_eq!(d["intervention"]["authorisedAmount"], Value::Null);

    // Within the band: authorised by the administrative office, paid monthly by the paymaster.
    let d = ok(server, op, REQUEST, json!({ "c": case, "e": adc["id"], "pl": plan, "req": "7200", "m": "1200", "from": "2026-07-01", "to": "2026-12-31", "i": isee })).await;
    let adc_id = s(&d["intervention"]["id"]);
    let d = ok(server, amm, AUTHORISE, json!({ "i": adc_id, "a": "7200" })).await;
    assert_eq!(d["intervention"]["state"], "authorised");
    assert_eq!(d["intervention"]["authorisedAmount"], "7200.00");
    let d = ok(server, op, ACTIVATE, json!({ "i": adc_id })).await;
    assert_eq!(d["intervention"]["state"], "active");
    for (from, to, paid) in [
        ("2026-07-01", "2026-07-31", "2026-07-31"),
        ("2026-08-01", "2026-08-31", "2026-08-31"),
        ("2026-09-01", "2026-09-30", "2026-09-30"),
    ] {
        let d = ok(server, pay, PAY, json!({ "i": adc_id, "a": "1200", "on": paid, "from": from, "to": to })).await;
        assert_eq!(d["disbursement"]["enteShare"], "1200.00");
    }
    // A month paid twice over is refused by the Region's rule.
    let errors = refused(
        server,
        pay,
        PAY,
        json!({ "i": adc_id, "a": "2400", "on": "2026-10-31", "from": "2026-10-01", "to": "2026-10-31" }),
    )
    .await;
    assert!(has(&errors, "DISBURSEMENT_ABOVE_MONTHLY", "amount", LAZIO), "{errors:?}");
    let d = server.data(op, INTERVENTION, json!({ "i": adc_id })).await;
    let i = &d["intervention"];
    assert_eq!(i["disbursedAmount"], "3600.00", "{d}");
    assert_eq!(i["disbursements"].as_array().unwrap().len(), 3);
    assert_eq!(
        (&i["catalogueEntry"]["inpsCode"], &i["catalogueEntry"]["sinaRequired"]),
        (&json!("A1.11"), &json!(true))
    );
    // Decided at the request and again at the authorisation, each stored with id and version.
    let e = results(i, "decide.eligibility");
    assert_eq!(e.len(), 2, "{d}");
    assert!(e.iter().all(|r| r["plugin"] == LAZIO && r["version"] == VERSION && r["amount"] == "1200.00"), "{d}");

    // Municipio VII is a district with its own bands: the same ISEE (€18,000) gives €1,000 in
    // Municipio I (Region's bands) and €1,200 in Municipio VII.
    // Municipio VII enabled the plug-in again for its own settings: its cases still see one
    // FNA-ADC entry, the Region's.
    let r7 = Refs::load(server, "op.roma7", Some("Municipio VII - PUA")).await;
    assert_eq!(r7.entry("FNA-ADC")["id"], adc["id"]);
    let mut amounts = Vec::new();
    for (op, office) in [("op.roma1", "Municipio I - PUA"), ("op.roma7", "Municipio VII - PUA")] {
        let o = r.unit(office);
        let p = ok(server, op, PERSON, json!({ "o": o, "sn": "Verdi", "gn": "Marta", "sex": "F", "b": "1940-01-01" }))
            .await;
        let person = s(&p["person"]["id"]);
        ok(server, op, ISEE, json!({ "p": person, "k": "socio_health", "v": "18000" })).await;
        let c = ok(server, op, r#"mutation($o: ID!, $p: ID!) { openCase(input: { orgUnitId: $o, personId: $p, area: elderly, openedOn: "2026-10-01" }) { case { id } errors { code } } }"#, json!({ "o": o, "p": person })).await;
        let c = s(&c["case"]["id"]);
        ok(server, op, r#"mutation($c: ID!) { recordAssessment(input: { caseId: $c, instrument: svama, assessedOn: "2026-10-05", assessor: "UVM", answers: [{ question: "fna_condition", answer: "gravissima" }] }) { assessment { id } errors { code } } }"#, json!({ "c": c })).await;
        let d = ok(
            server,
            op,
            REQUEST,
            json!({ "c": c, "e": adc["id"], "req": "1200", "m": "1200", "from": "2026-11-01", "to": "2026-11-30" }),
        )
        .await;
        let e = results(&d["intervention"], "decide.eligibility");
        amounts.push(e[0]["amount"].clone());
    }
    assert_eq!(amounts, [json!("1000.00"), json!("1200.00")]);
}

/// Case 2: a single mother with two children and an ISEE of €4,800 in a Lombard comune of
/// the Rete Comuni: the access-sheet protocol, a personal project, the comune's contribution
/// rule (ISEE ≤ €6,000, €300 a month for at most 6 months) authorised by one person and paid
/// by another; a family over the threshold is refused with the reason.
async fn family_in_poverty_in_lodi(server: &Server) {
    let (op, amm, pay) = ("op.lodi", "amm.lodi", "pay.lodi");
    let r = Refs::load(server, op, Some("Lodi - Servizio sociale")).await;
    let office = r.unit("Lodi - Servizio sociale");
    let contr = r.entry("CONTR-ECO").clone();
    assert_eq!((&contr["inpsCode"], &contr["inpsArea"]), (&json!("A1.04"), &json!("poverty")));

    let p = ok(server, op, PERSON, json!({ "o": office, "sn": "Rota", "gn": "Giulia", "sex": "F", "b": "1991-09-12" }))
        .await;
    let mother = s(&p["person"]["id"]);
    let mut members = vec![json!({ "personId": mother, "relation": "head" })];
    for (gn, b) in [("Luca", "2016-02-03"), ("Sara", "2019-07-21")] {
        let c = ok(
            server,
            op,
            PERSON,
            json!({ "o": office, "sn": "Rota", "gn": gn, "sex": if gn == "Luca" { "M" } else { "F" }, "b": b }),
        )
        .await;
        members.push(json!({ "personId": s(&c["person"]["id"]), "relation": "child" }));
    }
    ok(server, op, r#"mutation($o: ID!, $m: [MemberInput!]!) { createHousehold(orgUnitId: $o, members: $m) { householdId errors { code } } }"#, json!({ "o": office, "m": members })).await;
    let isee = ok(server, op, ISEE, json!({ "p": mother, "k": "ordinary", "v": "4800" })).await;
    let isee = s(&isee["isee"]["id"]);

    // The access-sheet protocol: classified reasons and a classified referral source.
    let sheets = "{ accessSheets(first: 100) { edges { node { id } } } }";
    let before = server.data(op, sheets, json!({})).await["accessSheets"]["edges"].as_array().unwrap().len();
    let errors = refused(
        server,
        op,
        SHEET,
        json!({ "o": office, "p": mother, "on": "2026-05-04", "rep": "other", "r": ["soldi"] }),
    )
    .await;
    assert!(has(&errors, "REASON_NOT_CLASSIFIED", "reasons", RETE), "{errors:?}");
    assert!(has(&errors, "REFERRAL_SOURCE_UNCLASSIFIED", "reporter", RETE), "{errors:?}");
    let after = server.data(op, sheets, json!({})).await["accessSheets"]["edges"].as_array().unwrap().len();
    assert_eq!(after, before, "a vetoed sheet is not written");
    // A request for information only is answered at the desk, not forwarded to a case.
    let info = ok(
        server,
        op,
        SHEET,
        json!({ "o": office, "p": mother, "on": "2026-05-04", "rep": "self", "r": ["information"] }),
    )
    .await;
    let errors =
        refused(server, op, FORWARD, json!({ "s": s(&info["accessSheet"]["id"]), "a": "poverty", "on": "2026-05-04" }))
            .await;
    assert!(has(&errors, "INFORMATION_ONLY", "reasons", RETE), "{errors:?}");
    let d = server
        .data(
            op,
            "query($s: ID!) { accessSheet(id: $s) { state case { id } } }",
            json!({ "s": s(&info["accessSheet"]["id"]) }),
        )
        .await;
    assert_eq!(
        (&d["accessSheet"]["state"], &d["accessSheet"]["case"]),
        (&json!("open"), &Value::Null),
        "the forward rolled back: {d}"
    );
    let sheet = ok(
        server,
        op,
        SHEET,
        json!({ "o": office, "p": mother, "on": "2026-05-04", "rep": "self", "r": ["economic_hardship", "housing"] }),
    )
    .await;
    let case =
        ok(server, op, FORWARD, json!({ "s": s(&sheet["accessSheet"]["id"]), "a": "poverty", "on": "2026-05-05" }))
            .await;
    let case = s(&case["case"]["id"]);

    // Without a personal project the contribution cannot be authorised.
    let d = ok(server, op, REQUEST, json!({ "c": case, "e": contr["id"], "req": "1800", "m": "300", "from": "2026-06-01", "to": "2026-11-30", "i": isee, "t": "6000" })).await;
    let no_project = s(&d["intervention"]["id"]);
    let errors = refused(server, amm, AUTHORISE, json!({ "i": no_project, "a": "1800" })).await;
    assert!(has(&errors, "PROJECT_MISSING", "planId", RETE), "{errors:?}");
    ok(server, amm, r#"mutation($i: ID!) { rejectIntervention(interventionId: $i, reason: "No personal project") { intervention { state } errors { code } } }"#, json!({ "i": no_project })).await;

    let plan = ok(server, op, r#"mutation($c: ID!) { createPlan(input: { caseId: $c, kind: pai, startsOn: "2026-05-20", plannedEndOn: "2026-11-30", reviewEveryMonths: 3,
        objectives: [{ term: short, description: "Job search with the employment centre", dueOn: "2026-08-31" }] }) { plan { id } errors { code } } }"#, json!({ "c": case })).await;
    let plan = s(&plan["plan"]["id"]);
    let d = ok(server, op, REQUEST, json!({ "c": case, "e": contr["id"], "pl": plan, "req": "1800", "m": "300", "from": "2026-06-01", "to": "2026-11-30", "i": isee, "t": "6000" })).await;
    let contribution = s(&d["intervention"]["id"]);
    let e = results(&d["intervention"], "decide.eligibility");
    assert_eq!(
        (&e[0]["plugin"], &e[0]["version"], &e[0]["outcome"]),
        (&json!(RETE), &json!(VERSION), &json!("eligible")),
        "{d}"
    );
    assert_eq!(e[0]["amount"], "300.00");
    assert_eq!(e[0]["reasons"][0]["code"], "CONTRIBUTION_RULE");

    // Authorised by the administrative officer, not by the social worker; paid by the
    // paymaster, not by the officer who authorised.
    forbidden(server, op, AUTHORISE, json!({ "i": contribution, "a": "1800" })).await;
    let errors = refused(server, amm, AUTHORISE, json!({ "i": contribution, "a": "2400" })).await;
    assert!(errors.iter().any(|e| e.0 == "OVER_REQUESTED"), "{errors:?}");
    ok(server, amm, AUTHORISE, json!({ "i": contribution, "a": "1800" })).await;
    ok(server, op, ACTIVATE, json!({ "i": contribution })).await;
    forbidden(
        server,
        amm,
        PAY,
        json!({ "i": contribution, "a": "300", "on": "2026-06-30", "from": "2026-06-01", "to": "2026-06-30" }),
    )
    .await;
    for (from, to) in [("2026-06-01", "2026-06-30"), ("2026-07-01", "2026-07-31"), ("2026-08-01", "2026-08-31")] {
        ok(server, pay, PAY, json!({ "i": contribution, "a": "300", "on": to, "from": from, "to": to })).await;
    }
    let d = server.data(op, INTERVENTION, json!({ "i": contribution })).await;
    assert_eq!(d["intervention"]["state"], "active");
    assert_eq!(d["intervention"]["disbursedAmount"], "900.00", "{d}");

    // A family over the threshold (ISEE €7,500): not eligible, and the authorisation is
    // refused with the reason; nothing is written.
    let p = ok(server, op, PERSON, json!({ "o": office, "sn": "Galli", "gn": "Paola", "sex": "F", "b": "1987-03-30" }))
        .await;
    let other = s(&p["person"]["id"]);
    let isee2 = ok(server, op, ISEE, json!({ "p": other, "k": "ordinary", "v": "7500" })).await;
    let c = ok(server, op, r#"mutation($o: ID!, $p: ID!) { openCase(input: { orgUnitId: $o, personId: $p, area: poverty, openedOn: "2026-05-10" }) { case { id } errors { code } } }"#, json!({ "o": office, "p": other })).await;
    let c = s(&c["case"]["id"]);
    let pl = ok(server, op, r#"mutation($c: ID!) { createPlan(input: { caseId: $c, kind: pai, startsOn: "2026-05-20", reviewEveryMonths: 3, objectives: [{ term: short, description: "Housing", dueOn: "2026-08-31" }] }) { plan { id } errors { code } } }"#, json!({ "c": c })).await;
    let d = ok(server, op, REQUEST, json!({ "c": c, "e": contr["id"], "pl": s(&pl["plan"]["id"]), "req": "1800", "m": "300", "from": "2026-06-01", "to": "2026-11-30", "i": s(&isee2["isee"]["id"]), "t": "6000" })).await;
    let over = s(&d["intervention"]["id"]);
    let e = results(&d["intervention"], "decide.eligibility");
    assert_eq!((&e[0]["plugin"], &e[0]["outcome"]), (&json!(RETE), &json!("not_eligible")), "{d}");
    assert_eq!(e[0]["reasons"][0]["code"], "ISEE_ABOVE_THRESHOLD");
    let errors = refused(server, amm, AUTHORISE, json!({ "i": over, "a": "1800" })).await;
    assert!(has(&errors, "ISEE_ABOVE_THRESHOLD", "isee", RETE), "{errors:?}");
    let d = server.data(op, INTERVENTION, json!({ "i": over })).await;
    assert_eq!(d["intervention"]["state"], "requested");
}

/// Case 3: a minor referred by the school in Perugia: SINBA sheet, a court measure, a PTI,
/// placement in a residential community at a daily fee, monthly presences recorded by the
/// provider, payments; Umbria's rules (SINBA before authorising A3.02, plan rules) and
/// Perugia's co-payment regulation (A3.02 exempt).
async fn minor_placed_in_perugia(server: &Server) {
    let (op, amm, pay) = ("op.perugia", "amm.perugia", "pay.perugia");
    let r = Refs::load(server, op, Some("Perugia - Segretariato sociale")).await;
    let office = r.unit("Perugia - Segretariato sociale");
    let community = r.entry("UMB-COM-MIN").clone();
    // Umbria's catalogue of the zone sociali, imported for the Region at enablement.
    assert_eq!((&community["inpsCode"], &community["inpsArea"]), (&json!("A3.02"), &json!("family_minors")));
    assert_eq!(community["orgUnitId"], json!(r.unit("Regione Umbria")));
    let tenda = r.provider("Comunità educativa La Tenda");

    let p = ok(server, op, PERSON, json!({ "o": office, "sn": "Neri", "gn": "Matteo", "sex": "M", "b": "2010-03-15" }))
        .await;
    let minor = s(&p["person"]["id"]);
    let sheet =
        ok(server, op, SHEET, json!({ "o": office, "p": minor, "on": "2026-05-12", "rep": "school", "r": ["minors"] }))
            .await;
    let case = ok(
        server,
        op,
        FORWARD,
        json!({ "s": s(&sheet["accessSheet"]["id"]), "a": "family_minors", "on": "2026-05-12" }),
    )
    .await;
    let case = s(&case["case"]["id"]);
    ok(server, op, r#"mutation($c: ID!) { recordNeed(caseId: $c, code: "court_protection_measure", severity: 3, recordedOn: "2026-06-03") { need { id } errors { code } } }"#, json!({ "c": case })).await;

    // Umbria's plan rules: reviews at least every 6 months, objectives with a due date.
    let pti = r#"mutation($c: ID!, $every: Int!, $due: NaiveDate) { createPlan(input: { caseId: $c, kind: pti, startsOn: "2026-06-20", plannedEndOn: "2028-03-15", reviewEveryMonths: $every,
        objectives: [{ term: short, description: "Settle in the community and attend school", dueOn: $due }] }) { plan { id } errors { code field message plugin } } }"#;
    let errors = refused(server, op, pti, json!({ "c": case, "every": 12, "due": null })).await;
    assert!(has(&errors, "REVIEW_INTERVAL_TOO_LONG", "reviewEveryMonths", UMBRIA), "{errors:?}");
    assert!(has(&errors, "OBJECTIVE_DUE_DATE_MISSING", "objectives[0].dueOn", UMBRIA), "{errors:?}");
    let d = server.data(op, "query($c: ID!) { case(id: $c) { plans { id } } }", json!({ "c": case })).await;
    assert_eq!(d["case"]["plans"], json!([]), "a vetoed plan is not written: {d}");
    let plan = ok(server, op, pti, json!({ "c": case, "every": 6, "due": "2026-12-20" })).await;
    let plan = s(&plan["plan"]["id"]);

    // Placement at €120 a day from July: co-payment exempt under Perugia's regulation.
    let d = ok(server, op, REQUEST, json!({ "c": case, "e": community["id"], "pl": plan, "req": "22080", "m": "3650", "from": "2026-07-01", "to": "2026-12-31", "pr": tenda })).await;
    let placement_req = s(&d["intervention"]["id"]);
    let c = results(&d["intervention"], "decide.co-payment");
    assert_eq!(c.len(), 1, "{d}");
    assert_eq!(
        (&c[0]["plugin"], &c[0]["version"], &c[0]["amount"]),
        (&json!(COPAY), &json!(VERSION), &json!("0.00")),
        "{d}"
    );
    assert_eq!(c[0]["reasons"][0]["code"], "CO_PAYMENT_EXEMPT");
    assert_eq!(d["intervention"]["coPaymentMonthly"], "0.00");

    // A3.02 for a minor needs the SINBA sheet first (Umbria).
    let errors = refused(server, amm, AUTHORISE, json!({ "i": placement_req, "a": "22080" })).await;
    assert!(has(&errors, "SINBA_MISSING", "assessments", UMBRIA), "{errors:?}");
    ok(server, op, r#"mutation($c: ID!) { recordAssessment(input: { caseId: $c, instrument: sinba, assessedOn: "2026-06-05", assessor: "Servizio sociale",
        answers: [{ question: "source", answer: "school" }, { question: "court_measure", answer: "yes" }] }) { assessment { id } errors { code } } }"#, json!({ "c": case })).await;
    let d = ok(server, amm, AUTHORISE, json!({ "i": placement_req, "a": "22080" })).await;
    assert_eq!(d["intervention"]["state"], "authorised");
    ok(server, op, ACTIVATE, json!({ "i": placement_req })).await;

    let pl = ok(server, op, r#"mutation($i: ID!, $p: ID!) { createPlacement(interventionId: $i, providerId: $p, dailyFee: "120", startsOn: "2026-07-01", endsOn: "2026-12-31") { placement { id dailyFee } errors { code } } }"#, json!({ "i": placement_req, "p": tenda })).await;
    let placement = s(&pl["placement"]["id"]);
    // The provider records its monthly presences; another provider cannot.
    let presences = r#"mutation($p: ID!, $m: Int!, $d: Int!) { recordPresences(placementId: $p, year: 2026, month: $m, daysPresent: $d) { presence { month daysPresent amountDue } errors { code } } }"#;
    let errors = refused(server, "op.ponte", presences, json!({ "p": placement, "m": 7, "d": 31 })).await;
    assert_eq!(errors[0].0, "NOT_FOUND", "{errors:?}");
    // A placement is with the provider the intervention is assigned to.
    let errors = refused(server, op, r#"mutation($i: ID!, $p: ID!) { createPlacement(interventionId: $i, providerId: $p, dailyFee: "100", startsOn: "2026-07-01") { placement { id } errors { code field message } } }"#, json!({ "i": placement_req, "p": r.provider("Cooperativa Sociale Il Ponte") })).await;
    assert_eq!((errors[0].0.as_str(), errors[0].1.as_str()), ("PROVIDER_MISMATCH", "providerId"));
    let mut due = Vec::new();
    for (month, days) in [(7, 31), (8, 28), (9, 30)] {
        let d = ok(server, "op.tenda", presences, json!({ "p": placement, "m": month, "d": days })).await;
        due.push(d["presence"]["amountDue"].clone());
    }
    assert_eq!(due, [json!("3720.00"), json!("3360.00"), json!("3600.00")]);
    for (amount, from, to) in [
        ("3720", "2026-07-01", "2026-07-31"),
        ("3360", "2026-08-01", "2026-08-31"),
        ("3600", "2026-09-01", "2026-09-30"),
    ] {
        ok(server, pay, PAY, json!({ "i": placement_req, "a": amount, "u": "0", "on": to, "from": from, "to": to }))
            .await;
    }
    let d = server.data(op, INTERVENTION, json!({ "i": placement_req })).await;
    let i = &d["intervention"];
    assert_eq!(i["disbursedAmount"], "10680.00", "{d}");
    assert_eq!(
        (&i["catalogueEntry"]["inpsCode"], &i["catalogueEntry"]["inpsArea"]),
        (&json!("A3.02"), &json!("family_minors"))
    );
    let c = results(i, "decide.co-payment");
    assert_eq!(c.len(), 2, "decided at the request and at the authorisation: {d}");
    assert!(c.iter().all(|r| r["plugin"] == COPAY && r["amount"] == "0.00"), "{d}");
}

/// The co-payment plug-in under two regulations: the same home care (SAD, €400 a month, ISEE
/// €12,000) costs the user €80 in Lecce (20%) and €50 in Perugia (fixed band).
async fn each_comune_gets_its_own_co_payment(server: &Server) {
    let mut shares = Vec::new();
    for (op, office) in [("op.lecce", "Lecce - Settore Welfare"), ("op.perugia", "Perugia - Segretariato sociale")] {
        let r = Refs::load(server, op, Some(office)).await;
        let o = r.unit(office);
        let sad = r.entry("SAD").clone();
        let p =
            ok(server, op, PERSON, json!({ "o": o, "sn": "Conte", "gn": "Rosa", "sex": "F", "b": "1944-02-02" })).await;
        let person = s(&p["person"]["id"]);
        ok(server, op, ISEE, json!({ "p": person, "k": "ordinary", "v": "12000" })).await;
        let c = ok(server, op, r#"mutation($o: ID!, $p: ID!) { openCase(input: { orgUnitId: $o, personId: $p, area: elderly, openedOn: "2026-10-01" }) { case { id } errors { code } } }"#, json!({ "o": o, "p": person })).await;
        let d = ok(server, op, REQUEST, json!({ "c": s(&c["case"]["id"]), "e": sad["id"], "req": "800", "m": "400", "from": "2026-11-01", "to": "2026-12-31" })).await;
        let c = results(&d["intervention"], "decide.co-payment");
        assert_eq!(c.len(), 1, "{d}");
        assert_eq!((&c[0]["plugin"], &c[0]["version"]), (&json!(COPAY), &json!(VERSION)));
        assert_eq!(c[0]["reasons"][0]["code"], "CO_PAYMENT_BAND");
        shares.push(d["intervention"]["coPaymentMonthly"].clone());
    }
    assert_eq!(shares, [json!("80.00"), json!("50.00")]);

    // A service Lecce's regulation does not cover (a cash contribution, A1.04): the plug-in
    // abstains; the request goes through with no co-payment decided and nothing stored.
    let r = Refs::load(server, "op.lecce", Some("Lecce - Settore Welfare")).await;
    let o = r.unit("Lecce - Settore Welfare");
    let p =
        ok(server, "op.lecce", PERSON, json!({ "o": o, "sn": "Greco", "gn": "Anna", "sex": "F", "b": "1980-02-02" }))
            .await;
    let c = ok(server, "op.lecce", r#"mutation($o: ID!, $p: ID!) { openCase(input: { orgUnitId: $o, personId: $p, area: poverty, openedOn: "2026-10-01" }) { case { id } errors { code } } }"#, json!({ "o": o, "p": s(&p["person"]["id"]) })).await;
    let d = ok(server, "op.lecce", REQUEST, json!({ "c": s(&c["case"]["id"]), "e": r.entry("CONTR-ECO")["id"], "req": "600", "m": "300", "from": "2026-11-01", "to": "2026-12-31" })).await;
    assert_eq!(d["intervention"]["pluginResults"], json!([]), "{d}");
    assert_eq!(d["intervention"]["coPaymentMonthly"], Value::Null);
}

/// One registry serves every administration; each plug-in administrator sees the settings of
/// the units it administers only.
async fn plugin_administrators_see_their_own_enablements(server: &Server) {
    let d = server
        .data("plugins.umbria", "{ plugins { id enablements { orgUnitId } } orgUnits { id name } }", json!({}))
        .await;
    let umbria = find(&d["orgUnits"], "name", "Regione Umbria");
    let plugins = d["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 4, "{d}");
    let of = |id: &str| plugins.iter().find(|p| p["id"] == id).unwrap()["enablements"].clone();
    assert_eq!(of(UMBRIA), json!([{ "orgUnitId": umbria }]));
    assert_eq!(of(LAZIO), json!([]), "Lazio's settings are not Umbria's business");
    assert_eq!(of(RETE), json!([]));
    let perugia = find(&d["orgUnits"], "name", "Comune di Perugia");
    assert_eq!(of(COPAY), json!([{ "orgUnitId": perugia }]), "Perugia's regulation, not Lecce's");
}

/// Enabling a contributing plug-in again updates the unit's imported entries in place: no
/// duplicates, the same ids (interventions keep pointing at them); another Region's cases do
/// not see them.
async fn catalogue_import_is_idempotent(server: &Server) {
    let before = Refs::load(server, "op.perugia", Some("Perugia - Segretariato sociale")).await;
    let umbria = before.unit("Regione Umbria");
    let d = ok(server, "plugins.umbria", r#"mutation($o: ID!) { enablePlugin(input: { plugin: "it.regione.umbria.siso", orgUnitId: $o, settings: "{\"max_review_months\": 12}" }) { plugin { id } errors { code message } } }"#, json!({ "o": umbria })).await;
    assert_eq!(d["plugin"]["id"], UMBRIA);
    let after = Refs::load(server, "op.perugia", Some("Perugia - Segretariato sociale")).await;
    let codes = |r: &Refs| {
        let mut v: Vec<(String, String)> =
            r.0["catalogue"].as_array().unwrap().iter().map(|e| (s(&e["localCode"]), s(&e["id"]))).collect();
        v.sort();
        v
    };
    assert_eq!(codes(&before), codes(&after));
    assert_eq!(codes(&after).iter().filter(|(c, _)| c.starts_with("UMB-")).count(), 12);
    let roma = Refs::load(server, "op.roma1", Some("Municipio I - PUA")).await;
    assert!(codes(&roma).iter().all(|(c, _)| !c.starts_with("UMB-")), "Umbria's entries leaked: {:?}", codes(&roma));
}

#[tokio::test]
async fn the_three_cases_on_the_demo_deployment() {
    let server = Server::start_demo(Db::Sqlite).await;
    elderly_person_in_roma(&server).await;
    family_in_poverty_in_lodi(&server).await;
    minor_placed_in_perugia(&server).await;
    each_comune_gets_its_own_co_payment(&server).await;
    catalogue_import_is_idempotent(&server).await;
    plugin_administrators_see_their_own_enablements(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn the_three_cases_on_postgres() {
    let server = Server::start_demo(Db::Postgres).await;
    elderly_person_in_roma(&server).await;
    family_in_poverty_in_lodi(&server).await;
    minor_placed_in_perugia(&server).await;
    server.stop().await;
}
