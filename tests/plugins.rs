//! Plug-ins end to end: real components built by the test suite, signed, installed over
//! GraphQL into a running server, run in the lifecycle's transactions; faults contained,
//! quarantine, upgrades without restart, refused packages, two processes on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::plugins::{b64, built, key, package, package_with, stranger, trusted};
use common::{Db, Server, s};
use serde_json::{Value, json};

const ADMIN: &str = "plugins.umbria";
const OP: &str = "op.perugia";

const OPEN_CASE: &str = r#"mutation($p: ID!, $o: ID!) { openCase(input: { personId: $p, orgUnitId: $o, area: elderly, openedOn: "2026-11-20" }) { case { id } errors { code field message plugin } } }"#;

const INSTALL: &str = r#"mutation($p: String!) { installPlugin(package: $p) { plugin { id version loaded quarantined } errors { code field message } } }"#;

const ENABLE: &str = r#"mutation($i: EnablePluginInput!) { enablePlugin(input: $i) { plugin { id enablements { orgUnitId settings capabilities failurePolicy } } errors { code field message } } }"#;

const PLUGINS: &str = r#"{ plugins { id version loaded quarantined quarantineReason stats { invocations faults } enablements { orgUnitId settings } } }"#;

/// Ids the tests work with, all in Perugia (Regione Umbria).
struct Ids {
    umbria: String,
    office: String,
    person: String,
    case: String,
    means_tested_entry: String,
}

async fn ids(server: &Server) -> Ids {
    let d = server
        .data(OP, r#"{ orgUnits { id name } catalogue { id localCode meansTest } cases(filter: { states: [open] }) { edges { node { id person { id } orgUnit { name } } } } }"#, json!({}))
        .await;
    let unit =
        |name: &str| d["orgUnits"].as_array().unwrap().iter().find(|u| u["name"] == name).map(|u| s(&u["id"])).unwrap();
    let case = d["cases"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["orgUnit"]["name"] == "Perugia - Segretariato sociale")
        .unwrap();
    let entry = d["catalogue"].as_array().unwrap().iter().find(|e| e["meansTest"] == "isee").unwrap();
    Ids {
        umbria: unit("Regione Umbria"),
        office: unit("Perugia - Segretariato sociale"),
        person: s(&case["node"]["person"]["id"]),
        case: s(&case["node"]["id"]),
        means_tested_entry: s(&entry["id"]),
    }
}

async fn install(server: &Server, pkg: &[u8]) -> Value {
    server.data(ADMIN, INSTALL, json!({ "p": b64(pkg) })).await["installPlugin"].clone()
}

async fn enable(server: &Server, plugin: &str, org: &str, settings: Value, caps: &[&str], fail_open: bool) {
    let d = server
        .data(
            ADMIN,
            ENABLE,
            json!({ "i": { "plugin": plugin, "orgUnitId": org, "settings": settings.to_string(), "capabilities": caps, "failOpen": fail_open } }),
        )
        .await;
    assert_eq!(d["enablePlugin"]["errors"], json!([]), "{d}");
}

async fn open_case(server: &Server, ids: &Ids) -> Value {
    server.data(OP, OPEN_CASE, json!({ "p": ids.person, "o": ids.office })).await["openCase"].clone()
}

/// Runs `mutation` and a read at the same time; the read must be served while the plug-in
/// runs. Returns the mutation's payload.
async fn while_serving(server: &Server, ids: &Ids) -> Value {
    let (payload, read) = tokio::join!(open_case(server, ids), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        server.gql(Some(OP), "{ me { username } }", json!({})).await
    });
    assert_eq!(read["data"]["me"]["username"], OP, "a read was not served while a plug-in ran: {read}");
    payload
}

async fn result_rows(server: &Server, record_kind: &str) -> Vec<(String, String, String, String)> {
    use sea_orm::ConnectionTrait;
    let db = server.db().await;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT plugin_key, plugin_version, outcome, reasons FROM plugin_results WHERE record_kind = '{record_kind}' ORDER BY id"),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).unwrap(),
                r.try_get_by_index::<String>(1).unwrap(),
                r.try_get_by_index::<String>(2).unwrap(),
                r.try_get_by_index::<String>(3).unwrap(),
            )
        })
        .collect()
}

async fn metrics(server: &Server) -> String {
    server.http().get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap()
}

fn env<'a>(trusted: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![("SISO__PLUGINS__TRUSTED", trusted)];
    v.extend_from_slice(extra);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_contained_named_and_rolled_back() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    // Fuel high enough that an endless loop meets the deadline first; quarantine out of the way.
    let server = Server::start_with(
        Db::Sqlite,
        &env(&t, &[("SISO__PLUGINS__FUEL", "100000000000"), ("SISO__PLUGINS__QUARANTINE_AFTER", "1000")]),
    )
    .await;
    let ids = ids(&server).await;
    let i = install(&server, &package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()))).await;
    assert_eq!(i["errors"], json!([]), "{i}");
    assert_eq!(i["plugin"]["version"], "1.0.0");
    // A deadline of one second (the ceiling): an endless loop meets it before the fuel
    // ceiling, and a plug-in filling its memory reaches the cap well within it even on a busy
    // machine, where plug-in threads run below the requests' priority.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "ok" }), &[], false).await;
    let d = server
        .data(ADMIN, r#"mutation($o: ID!) { setPluginLimits(plugin: "test.faulty", orgUnitId: $o, timeoutMs: 1000) { errors { code } } }"#, json!({ "o": ids.umbria }))
        .await;
    assert_eq!(d["setPluginLimits"]["errors"], json!([]), "{d}");

    // A well-behaved call: the case opens; a warning is stored with the plug-in's id and version.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "ok" }), &[], false).await;
    let ok = open_case(&server, &ids).await;
    assert_eq!(ok["errors"], json!([]), "{ok}");
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "warn" }), &[], false).await;
    let warned = open_case(&server, &ids).await;
    assert_eq!(warned["errors"], json!([]), "{warned}");
    let rows = result_rows(&server, "case").await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2.as_str()), ("test.faulty", "1.0.0", "warned"));
    assert!(rows[0].3.contains("TEST_WARNING"), "{rows:?}");

    // An endless loop meets its deadline or, when the machine is so busy that the epoch ticks
    // late, the fuel ceiling: stopped either way. A sleep burns no fuel: only the deadline.
    let mut looped = "TIMEOUT";
    for (mode, kind) in [
        ("loop", "TIMEOUT|FUEL_EXHAUSTED"),
        ("sleep", "TIMEOUT"),
        ("oom", "MEMORY_LIMIT"),
        ("stack", "STACK_OVERFLOW"),
        ("trap", "TRAP"),
        ("panic", "PANIC"),
        ("oversized", "OUTPUT_TOO_LARGE"),
        ("invalid", "INVALID_OUTPUT"),
        ("ungranted", "CAPABILITY_DENIED"),
    ] {
        enable(&server, "test.faulty", &ids.umbria, json!({ "mode": mode }), &[], false).await;
        let before = server.fingerprint().await;
        let started = Instant::now();
        let p = while_serving(&server, &ids).await;
        let errors = p["errors"].as_array().unwrap();
        assert_eq!(p["case"], Value::Null, "{mode}: {p}");
        assert_eq!(errors.len(), 1, "{mode}: {p}");
        assert_eq!(errors[0]["code"], "PLUGIN_FAULT", "{mode}: {p}");
        assert_eq!(errors[0]["plugin"], "test.faulty@1.0.0", "{mode}: {p}");
        let message = errors[0]["message"].as_str().unwrap();
        let found = kind.split('|').find(|k| message.contains(k));
        assert!(found.is_some(), "{mode}: expected {kind} in {p}");
        if mode == "loop" {
            looped = found.unwrap_or_default();
        }
        assert_eq!(server.fingerprint().await, before, "{mode}: the database changed");
        assert!(started.elapsed() < Duration::from_secs(10), "{mode}: took {:?}", started.elapsed());
    }
    // The panic's own message reached the host's fault report (the metrics count it).
    let m = metrics(&server).await;
    let timeouts = if looped == "TIMEOUT" { 2 } else { 1 };
    for (kind, n) in [
        ("TIMEOUT", timeouts),
        ("MEMORY_LIMIT", 1),
        ("STACK_OVERFLOW", 1),
        ("TRAP", 1),
        ("PANIC", 1),
        ("OUTPUT_TOO_LARGE", 1),
        ("INVALID_OUTPUT", 1),
        ("CAPABILITY_DENIED", 1),
    ] {
        assert!(
            m.contains(&format!("siso_plugin_faults_total{{plugin=\"test.faulty@1.0.0\",kind=\"{kind}\"}} {n}")),
            "{kind} not {n} in metrics:\n{m}"
        );
    }

    // Fuel: the same loop, stopped by fuel when the plug-in's fuel is lowered.
    let d = server
        .data(
            ADMIN,
            r#"mutation($o: ID!) { setPluginLimits(plugin: "test.faulty", orgUnitId: $o, fuel: 1000000) { plugin { id } errors { code } } }"#,
            json!({ "o": ids.umbria }),
        )
        .await;
    assert_eq!(d["setPluginLimits"]["errors"], json!([]), "{d}");
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "loop" }), &[], false).await;
    let p = open_case(&server, &ids).await;
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("FUEL_EXHAUSTED"), "{p}");

    // Granted, the same host call works.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "granted" }), &["catalogue:read"], false).await;
    let p = open_case(&server, &ids).await;
    assert_eq!(p["errors"], json!([]), "{p}");
    let rows = result_rows(&server, "case").await;
    let last = rows.last().unwrap();
    assert_eq!(last.2, "warned");
    assert!(last.3.contains("FOUND"), "{last:?}");

    // Fail open: a faulting plug-in is skipped and the change goes through.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "trap" }), &[], true).await;
    let p = open_case(&server, &ids).await;
    assert_eq!(p["errors"], json!([]), "{p}");

    // After it all, the server still serves.
    let me = server.gql(Some(OP), "{ me { username } }", json!({})).await;
    assert_eq!(me["data"]["me"]["username"], OP);
    let health = server.http().get(format!("{}/health", server.url)).send().await.unwrap();
    assert!(health.status().is_success());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_faults_quarantine_the_plugin() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(Db::Sqlite, &env(&t, &[("SISO__PLUGINS__QUARANTINE_AFTER", "2")])).await;
    let ids = ids(&server).await;
    let i = install(&server, &package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()))).await;
    assert_eq!(i["errors"], json!([]), "{i}");
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "trap" }), &[], false).await;
    for _ in 0..2 {
        let p = open_case(&server, &ids).await;
        assert_eq!(p["errors"][0]["code"], "PLUGIN_FAULT", "{p}");
    }
    // Quarantined: skipped by its failure policy (fail closed), without running it.
    let before = server.fingerprint().await;
    let p = open_case(&server, &ids).await;
    assert_eq!(p["errors"][0]["code"], "PLUGIN_QUARANTINED", "{p}");
    assert_eq!(p["errors"][0]["plugin"], "test.faulty@1.0.0", "{p}");
    // The quarantine is recorded by a task of its own; wait for it, then nothing else changed.
    let start = Instant::now();
    let listed = loop {
        let d = server.data(ADMIN, PLUGINS, json!({})).await;
        if d["plugins"][0]["quarantined"] == true || start.elapsed() > Duration::from_secs(5) {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed["plugins"][0]["quarantined"], true, "{listed}");
    assert!(listed["plugins"][0]["quarantineReason"].as_str().unwrap().contains("TRAP"), "{listed}");
    assert_eq!(listed["plugins"][0]["stats"]["invocations"], 2, "{listed}");
    let after = server.fingerprint().await;
    let differing: Vec<&str> = before.iter().zip(&after).filter(|(a, b)| a != b).map(|(a, _)| a.0.as_str()).collect();
    assert!(differing.iter().all(|t| *t == "plugin_enablements" || *t == "plugin_registry_state"), "{differing:?}");
    let line =
        format!("siso_plugin_quarantined{{plugin=\"test.faulty@1.0.0\",org_unit=\"{}\"}} 1", common::key(&ids.umbria));
    assert!(metrics(&server).await.contains(&line), "{line}");

    // Released and fixed, it serves again.
    let d = server
        .data(
            ADMIN,
            r#"mutation($o: ID!) { releasePlugin(plugin: "test.faulty", orgUnitId: $o) { plugin { quarantined } errors { code } } }"#,
            json!({ "o": ids.umbria }),
        )
        .await;
    assert_eq!(d["releasePlugin"]["plugin"]["quarantined"], false, "{d}");
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "ok" }), &[], false).await;
    let p = open_case(&server, &ids).await;
    assert_eq!(p["errors"], json!([]), "{p}");
    server.stop().await;
}

async fn vetoes_and_decisions(server: &Server) {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let ids = ids(server).await;
    let i = install(server, &package("plugins/template/siso-plugin.toml", &b.template, Some(&key()))).await;
    assert_eq!(i["errors"], json!([]), "{i}");
    let settings = json!({
        "isee_ceiling_cents": 1_000_000,
        "co_payment_bands": [{ "up_to_cents": 500_000, "monthly_cents": 0 }, { "up_to_cents": null, "monthly_cents": 2_500 }]
    });
    enable(server, "it.siso.template", &ids.umbria, settings, &[], false).await;
    // Settings are checked against the plug-in's schema.
    let bad = server
        .data(ADMIN, ENABLE, json!({ "i": { "plugin": "it.siso.template", "orgUnitId": ids.umbria, "settings": "{\"isee_ceiling_cents\": \"lots\"}" } }))
        .await;
    assert_eq!(bad["enablePlugin"]["errors"][0]["code"], "INVALID_SETTINGS", "{bad}");

    // An ISEE of 12,000 € is above the 10,000 € ceiling.
    let d = server
        .data(OP, r#"mutation($p: ID!) { recordIsee(input: { personId: $p, kind: ordinary, dsuProtocol: "INPS-ISEE-2026-T1", dsuYear: 2026, dsuDate: "2026-11-01", value: "12000", validFrom: "2026-11-01", validUntil: "2026-12-31" }) { errors { code } } }"#, json!({ "p": ids.person }))
        .await;
    assert_eq!(d["recordIsee"]["errors"], json!([]), "{d}");

    // Requesting runs the decide hooks: eligibility and co-payment, stored with id and version.
    let d = server
        .data(OP, r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "1200", startsOn: "2026-12-01" }) { intervention { id coPaymentMonthly pluginResults { plugin version hook outcome amount reasons { code } } } errors { code } } }"#, json!({ "c": ids.case, "e": ids.means_tested_entry }))
        .await;
    let p = &d["requestIntervention"];
    assert_eq!(p["errors"], json!([]), "{d}");
    let results = p["intervention"]["pluginResults"].as_array().unwrap();
    let eligibility = results.iter().find(|r| r["hook"] == "decide.eligibility").expect("eligibility stored");
    assert_eq!(eligibility["plugin"], "it.siso.template");
    assert_eq!(eligibility["version"], "0.1.0");
    assert_eq!(eligibility["outcome"], "not_eligible", "{d}");
    let co_payment = results.iter().find(|r| r["hook"] == "decide.co-payment").expect("co-payment stored");
    assert_eq!(co_payment["amount"], "25.00", "{d}");
    assert_eq!(p["intervention"]["coPaymentMonthly"], "25.00", "{d}");
    let intervention = s(&p["intervention"]["id"]);

    // Authorising is vetoed with the plug-in's reason; nothing is written.
    let before = server.fingerprint().await;
    let v = server
        .data("amm.perugia", r#"mutation($i: ID!) { authoriseIntervention(interventionId: $i, authorisedAmount: "1200") { intervention { id } errors { code field message plugin } } }"#, json!({ "i": intervention }))
        .await;
    let errors = &v["authoriseIntervention"]["errors"];
    assert_eq!(errors[0]["code"], "ISEE_ABOVE_CEILING", "{v}");
    assert_eq!(errors[0]["plugin"], "it.siso.template@0.1.0", "{v}");
    assert_eq!(v["authoriseIntervention"]["intervention"], Value::Null);
    assert_eq!(server.fingerprint().await, before, "a vetoed authorisation wrote something");

    // Only plug-ins enabled for the record's organisation run: a Roma case is not checked.
    let d =
        server.data("op.roma1", r#"{ cases(filter: { states: [open] }) { edges { node { id } } } }"#, json!({})).await;
    assert!(!d["cases"]["edges"].as_array().unwrap().is_empty());
    let rows_before = result_rows(server, "intervention").await.len();
    let d = server
        .data("op.roma1", r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "100", startsOn: "2026-12-01" }) { intervention { pluginResults { plugin } } errors { code } } }"#, json!({ "c": s(&d["cases"]["edges"][0]["node"]["id"]), "e": ids.means_tested_entry }))
        .await;
    assert_eq!(d["requestIntervention"]["errors"], json!([]), "{d}");
    assert_eq!(d["requestIntervention"]["intervention"]["pluginResults"], json!([]), "{d}");
    assert_eq!(result_rows(server, "intervention").await.len(), rows_before);
}

mod vetoes_and_decisions {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let t = trusted();
        let server = Server::start_with(Db::Sqlite, &env(&t, &[])).await;
        vetoes_and_decisions(&server).await;
        server.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let t = trusted();
        let server = Server::start_with(Db::Postgres, &env(&t, &[])).await;
        vetoes_and_decisions(&server).await;
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_take_over_without_a_restart() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(Db::Sqlite, &env(&t, &[])).await;
    let ids = ids(&server).await;
    let v1 = package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()));
    assert_eq!(install(&server, &v1).await["errors"], json!([]));
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "warn" }), &[], false).await;
    assert_eq!(open_case(&server, &ids).await["errors"], json!([]));
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "ok" }), &[], false).await;

    let v2 = package("plugins/testing/faulty/siso-plugin.v2.toml", &b.faulty_v2, Some(&key()));
    let i = install(&server, &v2).await;
    assert_eq!(i["errors"], json!([]), "{i}");
    assert_eq!(i["plugin"]["version"], "2.0.0");
    // The enablement and its settings carry over; the next call runs version 2.
    assert_eq!(open_case(&server, &ids).await["errors"], json!([]));
    let rows = result_rows(&server, "case").await;
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].1.as_str(), rows[0].2.as_str()), ("1.0.0", "warned"));
    assert!(!rows[0].3.contains("TEST_V2"));
    assert_eq!((rows[1].1.as_str(), rows[1].2.as_str()), ("2.0.0", "warned"));
    assert!(rows[1].3.contains("TEST_V2"));

    // Installing the same or an older version again is refused and changes nothing; so is a
    // newer version from another publisher (it would take over the enablements and grants).
    let before = server.fingerprint().await;
    let mut m = siso_plugins::package::AuthorManifest::load(
        &common::plugins::root().join("plugins/testing/faulty/siso-plugin.v2.toml"),
    )
    .unwrap();
    m.version = "3.0.0".into();
    m.publisher = "SISO project".into();
    let mut hijack = siso_plugins::Package::new(m, std::fs::read(&b.faulty_v2).unwrap()).unwrap();
    hijack.sign(&key());
    assert_eq!(install(&server, &hijack.to_bytes()).await["errors"][0]["code"], "PUBLISHER_MISMATCH");
    assert_eq!(install(&server, &v2).await["errors"][0]["code"], "VERSION_EXISTS");
    assert_eq!(install(&server, &v1).await["errors"][0]["code"], "VERSION_EXISTS");
    let older = common::plugins::package_as("plugins/testing/faulty/siso-plugin.toml", "1.5.0", &b.faulty, &key());
    assert_eq!(install(&server, &older).await["errors"][0]["code"], "DOWNGRADE");
    assert_eq!(server.fingerprint().await, before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_altered_untrusted_and_unauthorised_installs_are_refused() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(Db::Sqlite, &env(&t, &[])).await;
    let manifest = "plugins/testing/faulty/siso-plugin.toml";
    let before = server.fingerprint().await;

    let unsigned = package(manifest, &b.faulty, None);
    let e = install(&server, &unsigned).await;
    assert_eq!(e["errors"][0]["code"], "UNTRUSTED_PACKAGE", "{e}");
    assert!(e["errors"][0]["message"].as_str().unwrap().contains("not signed"), "{e}");

    let e = install(&server, &package(manifest, &b.faulty, Some(&stranger()))).await;
    assert_eq!(e["errors"][0]["code"], "UNTRUSTED_PACKAGE", "{e}");

    let mut altered = package(manifest, &b.faulty, Some(&key()));
    let at = altered.len() / 2; // inside the component
    altered[at] ^= 0x20;
    let e = install(&server, &altered).await;
    assert_eq!(e["errors"][0]["code"], "UNTRUSTED_PACKAGE", "{e}");
    assert!(e["errors"][0]["message"].as_str().unwrap().contains("altered"), "{e}");

    let e = install(&server, b"not a package").await;
    assert_eq!(e["errors"][0]["code"], "INVALID_PACKAGE", "{e}");

    // Installing is a permission of its own: a social worker may not.
    let v = server.gql(Some(OP), INSTALL, json!({ "p": b64(&package(manifest, &b.faulty, Some(&key()))) })).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{v}");
    let v = server.gql(Some(OP), PLUGINS, json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{v}");

    assert_eq!(server.fingerprint().await, before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_postgres_sees_installs_enables_and_upgrades_within_two_seconds() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let a = Server::start_with(Db::Postgres, &env(&t, &[])).await;
    let second = Server::attach(&a, &env(&t, &[])).await;
    let ids = ids(&a).await;

    async fn seen_by(server: &Server, check: impl Fn(&Value) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let d = server.data(ADMIN, PLUGINS, json!({})).await;
            if check(&d["plugins"]) {
                return start.elapsed();
            }
            assert!(start.elapsed() < Duration::from_secs(10), "never seen: {d}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    let v1 = package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()));
    assert_eq!(install(&a, &v1).await["errors"], json!([]));
    let took = seen_by(&second, |p| p[0]["version"] == "1.0.0" && p[0]["loaded"] == true).await;
    assert!(took < Duration::from_secs(2), "install seen after {took:?}");

    enable(&a, "test.faulty", &ids.umbria, json!({ "mode": "veto" }), &[], false).await;
    let took = seen_by(&second, |p| p[0]["enablements"].as_array().is_some_and(|e| !e.is_empty())).await;
    assert!(took < Duration::from_secs(2), "enable seen after {took:?}");
    // ... and enforced there: the second process vetoes a case in Perugia.
    let p = open_case(&second, &ids).await;
    assert_eq!(p["errors"][0]["code"], "TEST_VETO", "{p}");

    let v2 = package("plugins/testing/faulty/siso-plugin.v2.toml", &b.faulty_v2, Some(&key()));
    assert_eq!(install(&a, &v2).await["errors"], json!([]));
    let took = seen_by(&second, |p| p[0]["version"] == "2.0.0").await;
    assert!(took < Duration::from_secs(2), "upgrade seen after {took:?}");

    second.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nearest_enablement_applies() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(Db::Sqlite, &env(&t, &[])).await;
    let ids = ids(&server).await;
    let units = server.data(OP, "{ orgUnits { id name } }", json!({})).await;
    let unit = |name: &str| {
        units["orgUnits"].as_array().unwrap().iter().find(|u| u["name"] == name).map(|u| s(&u["id"])).unwrap()
    };
    assert_eq!(
        install(&server, &package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()))).await["errors"],
        json!([])
    );
    // The Region vetoes; the Comune di Perugia, below it, overrides with its own settings.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "veto" }), &[], false).await;
    enable(&server, "test.faulty", &unit("Comune di Perugia"), json!({ "mode": "ok" }), &[], false).await;
    let perugia = open_case(&server, &ids).await;
    assert_eq!(perugia["errors"], json!([]), "{perugia}");
    // Umbria's administrator lets the Perugia operator work for Terni's office too.
    let me = server.data(OP, "{ me { id } }", json!({})).await;
    let d = server
        .data("admin.umbria", "mutation($op: ID!, $u: ID!) { grantRole(operatorId: $op, role: \"operator\", orgUnitId: $u) { errors { code } } }", json!({ "op": s(&me["me"]["id"]), "u": unit("Terni - Servizio sociale") }))
        .await;
    assert_eq!(d["grantRole"]["errors"], json!([]), "{d}");
    let terni = server.data(OP, OPEN_CASE, json!({ "p": ids.person, "o": unit("Terni - Servizio sociale") })).await;
    assert_eq!(terni["openCase"]["errors"][0]["code"], "TEST_VETO", "{terni}");
    // Disabled at the comune, the Region's settings apply there too.
    let d = server
        .data(
            ADMIN,
            r#"mutation($o: ID!) { disablePlugin(plugin: "test.faulty", orgUnitId: $o) { errors { code } } }"#,
            json!({ "o": unit("Comune di Perugia") }),
        )
        .await;
    assert_eq!(d["disablePlugin"]["errors"], json!([]), "{d}");
    assert_eq!(open_case(&server, &ids).await["errors"][0]["code"], "TEST_VETO");
    server.stop().await;
}

/// Ids of units by name.
async fn units(server: &Server) -> impl Fn(&str) -> String + use<> {
    let d = server.data(OP, "{ orgUnits { id name } }", json!({})).await;
    move |name: &str| d["orgUnits"].as_array().unwrap().iter().find(|u| u["name"] == name).map(|u| s(&u["id"])).unwrap()
}

/// Runs `query` as `op` and asserts it changed nothing; returns the answer.
async fn unchanged(server: &Server, op: &str, query: &str, vars: Value) -> Value {
    let before = server.fingerprint().await;
    let v = server.gql(Some(op), query, vars).await;
    assert_eq!(server.fingerprint().await, before, "{op}: {query} changed the database: {v}");
    v
}

fn user_code(v: &Value, field: &str) -> String {
    s(&v["data"][field]["errors"][0]["code"])
}

/// Finding 2 of the trust review: a plug-in administrator acts on the plug-ins of its own
/// administration only. Limits, quarantine release and disabling act on one enablement and
/// need the right in its unit; an upgrade or a removal needs it wherever the plug-in is enabled
/// and in the unit that installed it; anything else answers like a missing plug-in. Limits
/// have ceilings, a removed id keeps a tombstone, and a unit can lock its enablement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_administrators_stay_in_their_administration() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(Db::Sqlite, &env(&t, &[])).await;
    let ids = ids(&server).await;
    let unit = units(&server).await;
    let (roma, perugia) = (unit("Roma Capitale"), unit("Comune di Perugia"));
    // Roma Capitale's administrator makes its coordination plug-in administrator of Roma.
    let me = server.data("coord.roma", "{ me { id } }", json!({})).await;
    let d = server
        .data("admin.roma", "mutation($op: ID!, $u: ID!) { grantRole(operatorId: $op, role: \"plugin_admin\", orgUnitId: $u) { errors { code } } }", json!({ "op": s(&me["me"]["id"]), "u": roma }))
        .await;
    assert_eq!(d["grantRole"]["errors"], json!([]), "{d}");
    const ROMA: &str = "coord.roma";
    let v1 = package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()));
    let v2 = package("plugins/testing/faulty/siso-plugin.v2.toml", &b.faulty_v2, Some(&key()));
    assert_eq!(install(&server, &v1).await["errors"], json!([]));
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "ok" }), &[], false).await;

    let limits = r#"mutation($p: String!, $o: ID!) { setPluginLimits(plugin: $p, orgUnitId: $o, fuel: 1000) { plugin { id } errors { code field message } } }"#;
    let release = r#"mutation($p: String!, $o: ID!) { releasePlugin(plugin: $p, orgUnitId: $o) { plugin { id } errors { code field message } } }"#;
    let disable = r#"mutation($p: String!, $o: ID!) { disablePlugin(plugin: $p, orgUnitId: $o) { plugin { id } errors { code field message } } }"#;
    let remove =
        r#"mutation($p: String!) { removePlugin(plugin: $p) { plugin { id } errors { code field message } } }"#;
    // Umbria's enablement is Umbria's: Roma may not touch it.
    for q in [limits, release, disable] {
        let v = unchanged(&server, ROMA, q, json!({ "p": "test.faulty", "o": ids.umbria })).await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{q}: {v}");
    }
    // In Roma's own unit, where it is not enabled, Umbria's plug-in answers like a missing one.
    for (q, field) in [(limits, "setPluginLimits"), (release, "releasePlugin"), (disable, "disablePlugin")] {
        let a = unchanged(&server, ROMA, q, json!({ "p": "test.faulty", "o": roma })).await;
        let m = unchanged(&server, ROMA, q, json!({ "p": "test.missing", "o": roma })).await;
        assert_eq!(a, m, "{q}");
        assert_eq!(user_code(&a, field), "NOT_FOUND", "{a}");
    }
    // Registry-wide changes: a plug-in Roma does not administer everywhere looks missing.
    let a = unchanged(&server, ROMA, remove, json!({ "p": "test.faulty" })).await;
    let m = unchanged(&server, ROMA, remove, json!({ "p": "test.missing" })).await;
    assert_eq!(a, m);
    assert_eq!(user_code(&a, "removePlugin"), "NOT_FOUND", "{a}");
    let v = unchanged(&server, ROMA, INSTALL, json!({ "p": b64(&v2) })).await;
    assert_eq!(user_code(&v, "installPlugin"), "NOT_FOUND", "an upgrade of Umbria's plug-in by Roma: {v}");

    // Code is installation-wide: Roma may enable it for its own units. From then on Umbria
    // can neither remove nor upgrade it alone.
    let d = server
        .data(
            ROMA,
            ENABLE,
            json!({ "i": { "plugin": "test.faulty", "orgUnitId": roma, "settings": "{\"mode\":\"ok\"}" } }),
        )
        .await;
    assert_eq!(d["enablePlugin"]["errors"], json!([]), "{d}");
    let v = unchanged(&server, ADMIN, remove, json!({ "p": "test.faulty" })).await;
    assert_eq!(user_code(&v, "removePlugin"), "NOT_FOUND", "{v}");
    let v = unchanged(&server, ADMIN, INSTALL, json!({ "p": b64(&v2) })).await;
    assert_eq!(user_code(&v, "installPlugin"), "NOT_FOUND", "{v}");

    // Limits have ceilings: about a second, a billion fuel, 128 MiB, 32 calls at once.
    let big = r#"mutation($o: ID!, $t: Int, $f: Int, $m: Int, $c: Int) { setPluginLimits(plugin: "test.faulty", orgUnitId: $o, timeoutMs: $t, fuel: $f, memoryMib: $m, maxConcurrency: $c) { errors { code field } } }"#;
    for (vars, field) in [
        (json!({ "o": ids.umbria, "t": 30000 }), "timeoutMs"),
        (json!({ "o": ids.umbria, "f": 2000000000 }), "fuel"),
        (json!({ "o": ids.umbria, "m": 1024 }), "memoryMib"),
        (json!({ "o": ids.umbria, "c": 1000 }), "maxConcurrency"),
    ] {
        let v = unchanged(&server, ADMIN, big, vars).await;
        assert_eq!(user_code(&v, "setPluginLimits"), "INVALID_LIMIT", "{v}");
        assert_eq!(v["data"]["setPluginLimits"]["errors"][0]["field"], field, "{v}");
    }

    // A locked enablement decides for its whole subtree: an override made before the lock no
    // longer applies, and no new one is accepted.
    enable(&server, "test.faulty", &perugia, json!({ "mode": "ok" }), &[], true).await;
    let d = server
        .data(ADMIN, ENABLE, json!({ "i": { "plugin": "test.faulty", "orgUnitId": ids.umbria, "settings": "{\"mode\":\"veto\"}", "locked": true } }))
        .await;
    assert_eq!(d["enablePlugin"]["errors"], json!([]), "{d}");
    assert_eq!(open_case(&server, &ids).await["errors"][0]["code"], "TEST_VETO");
    let v = unchanged(
        &server,
        ADMIN,
        ENABLE,
        json!({ "i": { "plugin": "test.faulty", "orgUnitId": perugia, "settings": "{\"mode\":\"ok\"}", "failOpen": true } }),
    )
    .await;
    assert_eq!(user_code(&v, "enablePlugin"), "ENABLEMENT_LOCKED", "{v}");

    // Removed, the id keeps a tombstone: only its publisher, only at a higher version.
    let d = server.data(ROMA, disable, json!({ "p": "test.faulty", "o": roma })).await;
    assert_eq!(d["disablePlugin"]["errors"], json!([]), "{d}");
    let d = server.data(ADMIN, remove, json!({ "p": "test.faulty" })).await;
    assert_eq!(d["removePlugin"]["errors"], json!([]), "{d}");
    let v = unchanged(&server, ADMIN, INSTALL, json!({ "p": b64(&v1) })).await;
    assert_eq!(user_code(&v, "installPlugin"), "DOWNGRADE", "{v}");
    let other = package_with("plugins/testing/faulty/siso-plugin.toml", &b.faulty, &key(), |m| {
        m.publisher = "SISO project".into();
        m.version = "3.0.0".into();
    });
    let v = unchanged(&server, ADMIN, INSTALL, json!({ "p": b64(&other) })).await;
    assert_eq!(user_code(&v, "installPlugin"), "PUBLISHER_MISMATCH", "{v}");
    assert_eq!(install(&server, &v2).await["errors"], json!([]));
    server.stop().await;
}

/// Finding 15: quarantine is per enablement, follows the fault rate (a plug-in that faults on
/// every other call is quarantined too), and counts faults across replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_is_per_enablement_and_follows_the_fault_rate() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let extra = [("SISO__PLUGINS__QUARANTINE_AFTER", "3")];
    let a = Server::start_with(Db::Sqlite, &env(&t, &extra)).await;
    let ids = ids(&a).await;
    let unit = units(&a).await;
    assert_eq!(
        install(&a, &package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()))).await["errors"],
        json!([])
    );
    // Lecce enables the same plug-in for itself (with the system's authority here).
    let lecce = unit("Comune di Lecce");
    let (ok, out) = a.siso_env(
        &["plugin", "enable", "test.faulty", "--org", &lecce, "--settings", r#"{"mode":"ok"}"#],
        &[("SISO__PLUGINS__TRUSTED", &t)],
    );
    assert!(ok, "{out}");
    let d = a.data("op.lecce", "{ me { orgUnit { id } } }", json!({})).await;
    let lecce_office = s(&d["me"]["orgUnit"]["id"]);
    let d = a
        .data("op.lecce", r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "Greco", givenName: "Anna", sex: F, birthDate: "1940-02-03" }) { person { id } errors { code } } }"#, json!({ "o": lecce_office }))
        .await;
    let lecce_person = s(&d["createPerson"]["person"]["id"]);
    let open_in_lecce = || async {
        a.data("op.lecce", OPEN_CASE, json!({ "p": lecce_person, "o": lecce_office })).await["openCase"].clone()
    };

    // Faulting on every other call in Perugia: quarantined after three faults in five calls.
    for (i, mode) in ["trap", "ok", "trap", "ok", "trap"].iter().enumerate() {
        enable(&a, "test.faulty", &ids.umbria, json!({ "mode": mode }), &[], false).await;
        let p = open_case(&a, &ids).await;
        let expected = if *mode == "trap" { "PLUGIN_FAULT" } else { "" };
        assert_eq!(s(&p["errors"][0]["code"]).replace("null", ""), expected, "call {i}: {p}");
    }
    enable(&a, "test.faulty", &ids.umbria, json!({ "mode": "ok" }), &[], false).await;
    let p = open_case(&a, &ids).await;
    assert_eq!(p["errors"][0]["code"], "PLUGIN_QUARANTINED", "{p}");
    // Lecce's enablement is not Perugia's: it still runs there.
    let p = open_in_lecce().await;
    assert_eq!(p["errors"], json!([]), "Lecce must not be quarantined for Perugia's faults: {p}");

    // Across replicas: two faults on each of two servers, none over the threshold alone.
    let release = r#"mutation($o: ID!) { releasePlugin(plugin: "test.faulty", orgUnitId: $o) { errors { code } } }"#;
    assert_eq!(a.data(ADMIN, release, json!({ "o": ids.umbria })).await["releasePlugin"]["errors"], json!([]));
    enable(&a, "test.faulty", &ids.umbria, json!({ "mode": "trap" }), &[], false).await;
    let second = Server::attach(&a, &env(&t, &extra)).await;
    let start = Instant::now();
    while second.data(ADMIN, PLUGINS, json!({})).await["plugins"][0]["enablements"]
        .as_array()
        .is_none_or(|e| !e.iter().any(|e| s(&e["settings"]).contains("trap")))
    {
        assert!(start.elapsed() < Duration::from_secs(10), "the second server never loaded the plug-in");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for server in [&a, &second, &a, &second] {
        let p = open_case(server, &ids).await;
        assert_eq!(p["errors"][0]["code"], "PLUGIN_FAULT", "{p}");
    }
    let start = Instant::now();
    loop {
        let d = a.data(ADMIN, PLUGINS, json!({})).await;
        if d["plugins"][0]["quarantined"] == true {
            assert!(s(&d["plugins"][0]["quarantineReason"]).contains("across the servers"), "{d}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "four faults across two servers never quarantined: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.stop().await;
    a.stop().await;
}

/// Finding 16: a second plug-in deciding the same thing for the same unit is refused at enable
/// time; between units the nearest enablement's answer applies, and every answer is shown with
/// the one applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_decider_per_decision_and_unit() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(Db::Sqlite, &env(&t, &[])).await;
    let unit = units(&server).await;
    let (lecce, office) = (unit("Comune di Lecce"), unit("Lecce - Settore Welfare"));
    let one = package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()));
    let two = package_with("plugins/testing/faulty/siso-plugin.toml", &b.faulty, &key(), |m| {
        m.id = "test.faulty.two".into();
    });
    assert_eq!(install(&server, &one).await["errors"], json!([]));
    assert_eq!(install(&server, &two).await["errors"], json!([]));
    let (ok, out) = server.siso_env(
        &["plugin", "enable", "test.faulty", "--org", &lecce, "--settings", r#"{"mode":"ok"}"#],
        &[("SISO__PLUGINS__TRUSTED", &t)],
    );
    assert!(ok, "{out}");
    let (ok, out) = server.siso_env(
        &["plugin", "enable", "test.faulty.two", "--org", &lecce, "--settings", r#"{"mode":"veto"}"#],
        &[("SISO__PLUGINS__TRUSTED", &t)],
    );
    assert!(!ok && out.contains("DECIDER_CONFLICT"), "a second eligibility decider for Lecce: {out}");
    let (ok, out) = server.siso_env(
        &["plugin", "enable", "test.faulty.two", "--org", &office, "--settings", r#"{"mode":"warn"}"#],
        &[("SISO__PLUGINS__TRUSTED", &t)],
    );
    assert!(ok, "{out}");
    // The server follows the registry within its watch interval.
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let d = server
        .data("op.lecce", r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "Greco", givenName: "Anna", sex: F, birthDate: "1980-02-03" }) { person { id } errors { code } } }"#, json!({ "o": office }))
        .await;
    let person = s(&d["createPerson"]["person"]["id"]);
    let d = server.data("op.lecce", OPEN_CASE, json!({ "p": person, "o": office })).await;
    assert_eq!(d["openCase"]["errors"], json!([]), "{d}");
    let case = s(&d["openCase"]["case"]["id"]);
    let d = server.data("op.lecce", "{ catalogue { id localCode } }", json!({})).await;
    let entry =
        d["catalogue"].as_array().unwrap().iter().find(|e| e["localCode"] == "CONTR-ECO").map(|e| s(&e["id"])).unwrap();
    let d = server
        .data("op.lecce", r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "600", startsOn: "2026-11-20" }) { intervention { pluginResults { plugin hook outcome applied } } errors { code message } } }"#, json!({ "c": case, "e": entry }))
        .await;
    let results = d["requestIntervention"]["intervention"]["pluginResults"]
        .as_array()
        .unwrap_or_else(|| panic!("the request failed: {d}"))
        .clone();
    let of = |plugin: &str| results.iter().find(|r| r["plugin"] == plugin).cloned().unwrap_or_default();
    assert_eq!(of("test.faulty.two")["outcome"], "eligible", "{d}");
    assert_eq!(of("test.faulty.two")["applied"], true, "the office's own enablement applies: {d}");
    assert_eq!(of("test.faulty")["outcome"], "eligible", "{d}");
    assert_eq!(of("test.faulty")["applied"], false, "the comune's answer is shown, not applied: {d}");
    server.stop().await;
}

/// Findings 9, 12, 13 and 14 of the trust review, with the test plug-in misbehaving on purpose:
/// an answer whose strings all point at one large buffer costs the host at most the output
/// cap; health data reaches only a plug-in granted it; stored plug-in reasons are a sensitive
/// part; amounts beyond the bounds are invalid answers; the guest's wall clock is the host's;
/// a stored package is checked against the trust list at every load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_plugins_are_contained() {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(Db::Sqlite, &env(&t, &[("SISO__PLUGINS__QUARANTINE_AFTER", "1000")])).await;
    let ids = ids(&server).await;
    assert_eq!(
        install(&server, &package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()))).await["errors"],
        json!([])
    );

    // 9. Sixteen warnings aliasing one 8 MiB buffer: refused before the host copies them.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "ok" }), &[], false).await;
    assert_eq!(open_case(&server, &ids).await["errors"], json!([]));
    let before = server.peak_rss_kib();
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "alias" }), &[], false).await;
    for _ in 0..3 {
        let p = open_case(&server, &ids).await;
        assert_eq!(p["errors"][0]["code"], "PLUGIN_FAULT", "{p}");
        assert!(s(&p["errors"][0]["message"]).contains("OUTPUT_TOO_LARGE"), "{p}");
    }
    let grew = server.peak_rss_kib().saturating_sub(before);
    assert!(grew < 48 << 10, "the host's peak memory grew by {grew} KiB for an 8 MiB guest buffer");

    // 12. Health data only with `health:read`; stored reasons only for `sensitive/read`.
    let d = server
        .data(OP, r#"mutation($c: ID!) { recordAssessment(input: { caseId: $c, instrument: svama, assessedOn: "2026-11-20", assessor: "UVM", answers: [{ question: "daily_living", answer: "totally_dependent" }] }) { assessment { id } errors { code message } } }"#, json!({ "c": ids.case }))
        .await;
    assert_eq!(d["recordAssessment"]["errors"], json!([]), "{d}");
    let request = r#"mutation($c: ID!, $e: ID!) { requestIntervention(input: { caseId: $c, catalogueEntryId: $e, requestedAmount: "300", startsOn: "2026-11-20" }) { intervention { id pluginResults { hook reasons { code message } } } errors { code message } } }"#;
    let health = |d: &Value| -> String {
        let results = d["requestIntervention"]["intervention"]["pluginResults"].as_array().cloned().unwrap_or_default();
        results
            .iter()
            .flat_map(|r| r["reasons"].as_array().cloned().unwrap_or_default())
            .filter(|r| r["code"] == "HEALTH")
            .map(|r| s(&r["message"]))
            .collect()
    };
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "health" }), &[], false).await;
    let d = server.data(OP, request, json!({ "c": ids.case, "e": ids.means_tested_entry })).await;
    assert_eq!(health(&d), "answers=0 sina=0", "not granted: {d}");
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "health" }), &["health:read"], false).await;
    let d = server.data(OP, request, json!({ "c": ids.case, "e": ids.means_tested_entry })).await;
    assert_eq!(health(&d), "answers=1 sina=0", "granted: {d}");
    let intervention = s(&d["requestIntervention"]["intervention"]["id"]);
    let q = "query($i: ID!) { intervention(id: $i) { pluginResults { outcome reasons { code } } } }";
    let seen = server.data("amm.perugia", q, json!({ "i": intervention })).await;
    let results = seen["intervention"]["pluginResults"].as_array().unwrap();
    assert!(!results.is_empty() && results.iter().all(|r| r["reasons"] == json!([])), "{seen}");

    // 13. Amounts beyond the money bound are invalid answers, and nothing is written.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "huge" }), &[], false).await;
    let before = server.fingerprint().await;
    let v = server.gql(Some(OP), request, json!({ "c": ids.case, "e": ids.means_tested_entry })).await;
    let errors = &v["data"]["requestIntervention"]["errors"];
    assert_eq!(errors[0]["code"], "PLUGIN_FAULT", "{v}");
    assert!(s(&errors[0]["message"]).contains("INVALID_OUTPUT"), "{v}");
    assert_eq!(server.fingerprint().await, before);

    // 14. The guest reads the host's clock (the tests' fixed day), not the machine's.
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "clock" }), &[], false).await;
    assert_eq!(open_case(&server, &ids).await["errors"], json!([]));
    let rows = result_rows(&server, "case").await;
    let clock = rows.iter().rev().find(|r| r.3.contains("CLOCK")).unwrap_or_else(|| panic!("{rows:?}"));
    assert!(clock.3.contains(&common::NOW[..10]), "{clock:?}");

    // 14. A server whose trust list no longer holds the publisher's key does not load the
    // stored package, and the unit's changes are refused (fail closed).
    let untrusting = Server::attach(&server, &[]).await;
    let listed = untrusting.data(ADMIN, PLUGINS, json!({})).await;
    assert_eq!(listed["plugins"][0]["loaded"], false, "{listed}");
    let p = open_case(&untrusting, &ids).await;
    assert_eq!(p["errors"][0]["code"], "PLUGIN_ERROR", "{p}");
    untrusting.stop().await;
    server.stop().await;
}

/// Finding 11: a slow plug-in holds neither the writer nor a connection. While one sleeps to
/// its deadline in a Perugia change, a Lecce operator's read of a person (personal data: an
/// access-log write) is served before that change ends.
async fn slow_plugin_holds_no_one(db: Db) {
    let b = tokio::task::spawn_blocking(built).await.unwrap();
    let t = trusted();
    let server = Server::start_with(db, &env(&t, &[("SISO__PLUGINS__QUARANTINE_AFTER", "1000")])).await;
    let ids = ids(&server).await;
    assert_eq!(
        install(&server, &package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&key()))).await["errors"],
        json!([])
    );
    enable(&server, "test.faulty", &ids.umbria, json!({ "mode": "sleep" }), &[], false).await;
    let d = server
        .data(ADMIN, r#"mutation($o: ID!) { setPluginLimits(plugin: "test.faulty", orgUnitId: $o, timeoutMs: 1000) { errors { code } } }"#, json!({ "o": ids.umbria }))
        .await;
    assert_eq!(d["setPluginLimits"]["errors"], json!([]), "{d}");
    let d = server.data("op.lecce", "{ me { orgUnit { id } } }", json!({})).await;
    let lecce_office = s(&d["me"]["orgUnit"]["id"]);
    let d = server
        .data("op.lecce", r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "Greco", givenName: "Anna", sex: F, birthDate: "1940-02-03" }) { person { id } errors { code } } }"#, json!({ "o": lecce_office }))
        .await;
    let person = s(&d["createPerson"]["person"]["id"]);

    let started = Instant::now();
    let (change, read) = tokio::join!(
        async {
            let p = open_case(&server, &ids).await;
            (p, started.elapsed())
        },
        async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let v =
                server.data("op.lecce", "query($p: ID!) { person(id: $p) { surname } }", json!({ "p": person })).await;
            (v, started.elapsed())
        }
    );
    assert_eq!(change.0["errors"][0]["code"], "PLUGIN_FAULT", "{}", change.0);
    assert!(s(&change.0["errors"][0]["message"]).contains("TIMEOUT"), "{}", change.0);
    assert_eq!(read.0["person"]["surname"], "Greco", "{}", read.0);
    assert!(read.1 < change.1, "the Lecce read ({:?}) waited for Perugia's plug-in ({:?})", read.1, change.1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_plugin_holds_no_other_administration_sqlite() {
    slow_plugin_holds_no_one(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_plugin_holds_no_other_administration_postgres() {
    slow_plugin_holds_no_one(Db::Postgres).await;
}
