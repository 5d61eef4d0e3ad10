//! Broken object-level authorization (OWASP API1), tested as a matrix generated from the
//! GraphQL schema: every query and mutation argument (or input field) of type `ID` that names a
//! tenant record, for an operator of every role outside the victim organisation. The call with
//! the victim's id must answer exactly like the call with a missing id, and change nothing.
//! Every connection, read with every nested object reachable from it, must show none of the
//! victim's records. A field or argument added later is covered without editing this test; a
//! new kind of record named by id makes the test fail until it has a fixture below.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{Server, s};
use serde_json::{Map, Value, json};

/// The victim: everything of Perugia's social secretariat (and comune).
const VICTIM: &str = "op.perugia";

/// One operator of every role, none of whom may read Perugia's records (the plug-in
/// administrator of Umbria sits above Perugia but manages plug-ins only).
const ATTACKERS: &[&str] = &[
    "op.roma1",
    "head.roma1",
    "amm.roma1",
    "pay.roma1",
    "coord.roma",
    "op.ponte",
    "analyst.lazio",
    "dpo.roma",
    "admin.roma",
    "plugins.umbria",
];

/// Kinds of records named by id that are public reference data, not tenant records: units,
/// the catalogue, funds, providers and operators (shown as a case's responsible operator).
const PUBLIC: &[&str] = &["orgUnit", "parent", "catalogueEntry", "fund", "provider", "operator", "responsibleOperator"];

/// The GraphQL types of that public reference data.
const PUBLIC_TYPES: &[&str] = &["OrgUnit", "CatalogueEntry", "Fund", "Provider", "Operator"];

/// The key of a missing record.
const MISSING: i64 = 987_654_321;

/// A missing record's id of the same type as `id` (ids are global: a missing id is a
/// well-formed one of the same type, naming no record).
fn missing_like(id: &str) -> String {
    let (type_name, _) = siso_api::scalars::decode_global_id(id).unwrap_or_else(|| panic!("{id} is not a global id"));
    common::gid(&type_name, MISSING)
}

/// An id of public reference data for a slot of `kind` (the first record of its type).
fn public_id(kind: &str) -> String {
    let type_name = match kind {
        "orgUnit" | "parent" => "OrgUnit",
        "catalogueEntry" => "CatalogueEntry",
        "fund" => "Fund",
        "provider" => "Provider",
        _ => "Operator",
    };
    common::gid(type_name, 1)
}

const INTROSPECTION: &str = r#"{ __schema { queryType { name } mutationType { name } types { kind name
  fields { name args { name type { ...T } } type { ...T } }
  inputFields { name type { ...T } } enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;

struct Schema {
    types: BTreeMap<String, Value>,
    query: String,
    mutation: String,
}

/// A type reference flattened: (non-null, list, named type).
fn unwrap(t: &Value) -> (bool, bool, String) {
    let mut t = t;
    let mut non_null = false;
    let mut list = false;
    let mut first = true;
    loop {
        match t["kind"].as_str().unwrap() {
            "NON_NULL" => {
                if first {
                    non_null = true;
                }
            }
            "LIST" => list = true,
            _ => return (non_null, list, s(&t["name"])),
        }
        first = false;
        t = &t["ofType"];
    }
}

impl Schema {
    async fn load(server: &Server) -> Schema {
        let d = server.data(VICTIM, INTROSPECTION, json!({})).await;
        let types = d["__schema"]["types"].as_array().unwrap().iter().map(|t| (s(&t["name"]), t.clone())).collect();
        Schema {
            types,
            query: s(&d["__schema"]["queryType"]["name"]),
            mutation: s(&d["__schema"]["mutationType"]["name"]),
        }
    }

    fn kind(&self, name: &str) -> String {
        s(&self.types[name]["kind"])
    }

    fn fields(&self, name: &str) -> Vec<Value> {
        self.types[name]["fields"].as_array().cloned().unwrap_or_default()
    }

    /// A selection of a type: every leaf field without required arguments, and nested objects
    /// with their `__typename`, `id` and leaves, down to `depth`.
    fn selection(&self, name: &str, depth: usize) -> String {
        if !["OBJECT", "INTERFACE"].contains(&self.kind(name).as_str()) {
            return String::new();
        }
        let mut out = vec!["__typename".to_string()];
        for f in self.fields(name) {
            let required_args = f["args"].as_array().unwrap().iter().any(|a| unwrap(&a["type"]).0);
            if required_args {
                continue;
            }
            let fname = s(&f["name"]);
            let (_, _, tname) = unwrap(&f["type"]);
            match self.kind(&tname).as_str() {
                "SCALAR" | "ENUM" => out.push(fname),
                "OBJECT" if depth > 0 => {
                    let inner = self.selection(&tname, depth - 1);
                    out.push(format!("{fname} {{ {inner} }}"));
                }
                _ => {}
            }
        }
        out.join(" ")
    }

    /// A literal value for an input of type `t` named `name`; ID slots are filled by `id_for`.
    fn literal(&self, name: &str, t: &Value, id_for: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (_, list, tname) = unwrap(t);
        let one = match (self.kind(&tname).as_str(), tname.as_str()) {
            (_, "ID") => json!(id_for(name)?).to_string(),
            (_, "Int") => "1".into(),
            (_, "Boolean") => "false".into(),
            (_, "Money") => "\"10\"".into(),
            (_, "NaiveDate") => "\"2026-11-20\"".into(),
            (_, "DateTime") => "\"2026-11-20T10:00:00Z\"".into(),
            (_, "String") => json!(code_for(name)).to_string(),
            ("ENUM", _) => s(&self.types[&tname]["enumValues"][0]["name"]),
            ("INPUT_OBJECT", _) => {
                let mut parts = Vec::new();
                for f in self.types[&tname]["inputFields"].as_array().unwrap() {
                    let fname = s(&f["name"]);
                    let required = unwrap(&f["type"]).0;
                    let is_id = unwrap(&f["type"]).2 == "ID";
                    if required || (is_id && id_for(&fname).is_some()) {
                        parts.push(format!("{fname}: {}", self.literal(&fname, &f["type"], id_for)?));
                    }
                }
                format!("{{ {} }}", parts.join(", "))
            }
            _ => json!("x").to_string(),
        };
        Some(if list { format!("[{one}]") } else { one })
    }

    /// Every ID slot under a root field: its path (for messages) and name.
    fn id_slots(&self, field: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for a in field["args"].as_array().unwrap() {
            self.collect_slots(&s(&a["name"]), &a["type"], &mut out, 0);
        }
        out
    }

    fn collect_slots(&self, name: &str, t: &Value, out: &mut Vec<String>, depth: usize) {
        let (_, _, tname) = unwrap(t);
        if tname == "ID" {
            out.push(name.to_string());
        } else if self.kind(&tname) == "INPUT_OBJECT" && depth < 4 {
            for f in self.types[&tname]["inputFields"].as_array().unwrap() {
                self.collect_slots(&s(&f["name"]), &f["type"], out, depth + 1);
            }
        }
    }
}

/// Plausible codes for string inputs, so calls get past validation to the lookup.
fn code_for(name: &str) -> &'static str {
    match name {
        "area" => "elderly",
        "channel" => "in_person",
        "reporter" => "self",
        "reasons" | "code" => "economic_hardship",
        "relation" => "head",
        "sex" => "F",
        "kind" => "pai",
        "instrument" => "svama",
        "term" => "short",
        "attainment" => "partial",
        _ => "x",
    }
}

/// The kind of record an ID slot names.
fn kind_of(field: &str, slot: &str) -> String {
    if slot == "id" {
        return field.to_string();
    }
    slot.trim_end_matches("Ids").trim_end_matches("Id").to_string()
}

/// Ids of one organisation's records by kind, and every (type, id) it holds.
struct Records {
    by_kind: BTreeMap<String, String>,
    all: HashSet<(String, String)>,
}

fn walk(v: &Value, out: &mut HashSet<(String, String)>) {
    match v {
        Value::Object(m) => {
            if let (Some(t), Some(id)) = (m.get("__typename"), m.get("id"))
                && id.is_string()
            {
                out.insert((s(t), s(id)));
            }
            m.values().for_each(|x| walk(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
        _ => {}
    }
}

/// Reads every connection of the schema as `op`, with nested objects.
async fn everything(server: &Server, schema: &Schema, op: &str) -> Value {
    let mut all = Map::new();
    for f in schema.fields(&schema.query) {
        let (_, _, tname) = unwrap(&f["type"]);
        if !tname.ends_with("Connection") || f["args"].as_array().unwrap().iter().any(|a| unwrap(&a["type"]).0) {
            continue;
        }
        let node = tname.trim_end_matches("Connection");
        let name = s(&f["name"]);
        let q = format!("{{ {name}(first: 20) {{ edges {{ node {{ {} }} }} }} }}", schema.selection(node, 2));
        let v = server.gql(Some(op), &q, json!({})).await;
        let errors = v["errors"].as_array().cloned().unwrap_or_default();
        assert!(
            errors.iter().all(|e| e["extensions"]["code"] == "FORBIDDEN"),
            "{op} cannot read {name} with every nested field: {v}\n{q}"
        );
        all.insert(name, v);
    }
    Value::Object(all)
}

async fn records(server: &Server, schema: &Schema, op: &str) -> Records {
    let v = everything(server, schema, op).await;
    let mut all = HashSet::new();
    walk(&v, &mut all);
    // Public reference data is shared by design.
    all.retain(|(t, _)| !PUBLIC_TYPES.contains(&t.as_str()));
    let mut by_kind = BTreeMap::new();
    let first = |t: &str| all.iter().filter(|(ty, _)| ty == t).map(|(_, id)| id.clone()).min();
    for (kind, ty) in [
        ("person", "Person"),
        ("case", "Case"),
        ("intervention", "Intervention"),
        ("accessSheet", "AccessSheet"),
        ("fundingLine", "FundingLine"),
        ("plan", "Plan"),
        ("placement", "Placement"),
        ("isee", "IseeAttestation"),
        ("objective", "Objective"),
        ("need", "Need"),
        ("assessment", "Assessment"),
        ("disbursement", "Disbursement"),
    ] {
        if let Some(id) = first(ty) {
            by_kind.insert(kind.to_string(), id);
        }
    }
    Records { by_kind, all }
}

/// The victim's records must include every kind: gives Perugia a plan, a placement and an
/// access sheet, which its demo data lacks.
async fn complete_victim(server: &Server) -> String {
    let d = server.data(VICTIM, "{ cases(first: 1) { edges { node { id } } } providers { id } }", json!({})).await;
    let case = s(&d["cases"]["edges"][0]["node"]["id"]);
    let provider = s(&d["providers"][0]["id"]);
    let d = server
        .data(VICTIM, r#"mutation($c: ID!) { createPlan(input: { caseId: $c, kind: pai, startsOn: "2026-11-01", reviewEveryMonths: 6, objectives: [{ term: short, description: "Rent arrears" }] }) { plan { id } errors { code message } } }"#, json!({ "c": case }))
        .await;
    assert!(d["createPlan"]["plan"]["id"].is_string(), "{d}");
    let intervention = s(&server
        .data(VICTIM, "query($c: ID!) { case(id: $c) { interventions { id } } }", json!({ "c": case }))
        .await["case"]["interventions"][0]["id"]);
    let d = server
        .data(VICTIM, r#"mutation($i: ID!, $p: ID!) { createPlacement(interventionId: $i, providerId: $p, dailyFee: "40", startsOn: "2026-11-01") { placement { id } errors { code message } } }"#, json!({ "i": intervention, "p": provider }))
        .await;
    assert!(d["createPlacement"]["placement"]["id"].is_string(), "{d}");
    let d =
        server.data(VICTIM, "{ me { orgUnit { id } } persons(first: 1) { edges { node { id } } } }", json!({})).await;
    let (office, person) = (s(&d["me"]["orgUnit"]["id"]), s(&d["persons"]["edges"][0]["node"]["id"]));
    let d = server
        .data(VICTIM, r#"mutation($o: ID!, $p: ID!) { openAccessSheet(input: { orgUnitId: $o, personId: $p, accessOn: "2026-11-02", channel: in_person, reporter: self, reasons: ["economic_hardship"], privacyConsent: true }) { accessSheet { id } errors { code message } } }"#, json!({ "o": office, "p": person }))
        .await;
    assert!(d["openAccessSheet"]["accessSheet"]["id"].is_string(), "{d}");
    // An API key of Perugia: Umbria's administrator makes the office's social worker an
    // administrator of the office, who makes a key with the role it holds there.
    let d = server.data(VICTIM, "{ me { id } }", json!({})).await;
    let me = s(&d["me"]["id"]);
    let d = server
        .data("admin.umbria", "mutation($op: ID!, $o: ID!) { grantRole(operatorId: $op, role: \"org_admin\", orgUnitId: $o) { errors { code } } }", json!({ "op": me, "o": office }))
        .await;
    assert_eq!(d["grantRole"]["errors"], json!([]), "{d}");
    let d = server
        .data(VICTIM, r#"mutation($o: ID!) { createApiKey(input: { name: "Perugia registry sync", orgUnitId: $o, roles: ["operator"], expiresAt: "2027-06-01T00:00:00Z" }) { apiKey { id } errors { code message } } }"#, json!({ "o": office }))
        .await;
    assert!(d["createApiKey"]["apiKey"]["id"].is_string(), "{d}");
    s(&d["createApiKey"]["apiKey"]["id"])
}

/// The attacker's own unit (its home unit).
async fn own_unit(server: &Server, op: &str) -> String {
    let d = server.data(op, "{ me { orgUnit { id } } }", json!({})).await;
    s(&d["me"]["orgUnit"]["id"])
}

async fn matrix(server: &Server) {
    let schema = Schema::load(server).await;
    let key = complete_victim(server).await;
    let mut victim = records(server, &schema, VICTIM).await;
    victim.by_kind.insert("apiKey".into(), key);
    for kind in ["person", "case", "intervention", "accessSheet", "fundingLine", "plan", "placement", "isee"] {
        assert!(victim.by_kind.contains_key(kind), "the victim has no {kind}: {:?}", victim.by_kind);
    }
    let roots: Vec<(String, Value)> = schema
        .fields(&schema.query)
        .into_iter()
        .map(|f| (schema.query.clone(), f))
        .chain(schema.fields(&schema.mutation).into_iter().map(|f| (schema.mutation.clone(), f)))
        .collect();
    let mut calls = 0;
    for attacker in ATTACKERS {
        let own = records(server, &schema, attacker).await;
        let home = own_unit(server, attacker).await;
        // Nested fields and connections: none of the victim's records, anywhere.
        let leaked: Vec<_> = own.all.intersection(&victim.all).collect();
        assert!(leaked.is_empty(), "{attacker} reads the victim's records {leaked:?}");

        let before = server.fingerprint().await;
        for (root, f) in &roots {
            let field = s(&f["name"]);
            let op = if root == &schema.mutation { "mutation" } else { "query" };
            let (_, _, tname) = unwrap(&f["type"]);
            let sel = schema.selection(&tname, 1);
            let sel = if sel.is_empty() { String::new() } else { format!("{{ {sel} }}") };
            for slot in schema.id_slots(f) {
                let kind = kind_of(&field, &slot);
                if PUBLIC.contains(&kind.as_str()) {
                    continue;
                }
                // `node(id:)` and `nodes(ids:)` name a record of any type: every kind of the
                // victim's records.
                let foreigns: Vec<&String> = if ["node", "ids"].contains(&kind.as_str()) {
                    victim.by_kind.values().collect()
                } else {
                    vec![victim.by_kind.get(&kind).unwrap_or_else(|| {
                        panic!("{field}({slot}) names a {kind}: add a fixture of that kind to this test")
                    })]
                };
                for foreign in foreigns {
                    // The slot under test gets `value`; every other ID slot the attacker's own record
                    // of its kind, units the attacker's own unit (`own_units`) or a public id, so the
                    // call is otherwise valid: a write into one's own unit naming a foreign record is
                    // the cross-tenant write the matrix hunts.
                    let call = |value: &str, own_units: bool| -> Option<String> {
                        let fill = |name: &str| -> Option<String> {
                            if name == slot {
                                return Some(value.to_string());
                            }
                            let k = kind_of(&field, name);
                            if own_units && ["orgUnit", "parent"].contains(&k.as_str()) {
                                return Some(home.clone());
                            }
                            own.by_kind.get(&k).cloned().or_else(|| PUBLIC.contains(&k.as_str()).then(|| public_id(&k)))
                        };
                        let mut args = Vec::new();
                        for a in f["args"].as_array().unwrap() {
                            let name = s(&a["name"]);
                            let required = unwrap(&a["type"]).0;
                            let holds_slot = schema.id_slots(&json!({ "args": [a] })).contains(&slot);
                            if required || holds_slot {
                                args.push(format!("{name}: {}", schema.literal(&name, &a["type"], &fill)?));
                            }
                        }
                        let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
                        let sel = if tname.ends_with("Connection") {
                            "{ edges { node { __typename id } } }".to_string()
                        } else {
                            sel.clone()
                        };
                        Some(format!("{op} {{ {field}{args} {sel} }}"))
                    };
                    for own_units in [false, true] {
                        let (Some(with_foreign), Some(with_missing)) =
                            (call(foreign, own_units), call(&missing_like(foreign), own_units))
                        else {
                            continue;
                        };
                        let a = server.gql(Some(attacker), &with_foreign, json!({})).await;
                        let b = server.gql(Some(attacker), &with_missing, json!({})).await;
                        calls += 2;
                        assert_eq!(
                            a, b,
                            "{attacker}: {field}({slot}) with another organisation's {kind} answers differently from a missing one\n{with_foreign}"
                        );
                    }
                }
            }
        }
        calls += plugin_slots(server, &schema, &roots, attacker, &home).await;
        let after = server.fingerprint().await;
        assert_eq!(before, after, "{attacker}'s calls with foreign ids changed the database");
    }
    assert!(calls > 200, "the matrix made only {calls} calls");
}

/// The plug-in another administration (Lecce) enabled for itself, installed by the system.
const FOREIGN_PLUGIN: &str = "test.faulty";

/// Installs [`FOREIGN_PLUGIN`] and enables it for the Comune di Lecce only, with the system's
/// authority (`siso plugin ...`).
async fn install_foreign_plugin(server: &Server, trusted: &str) {
    let b = tokio::task::spawn_blocking(common::plugins::built).await.unwrap();
    let pkg =
        common::plugins::package("plugins/testing/faulty/siso-plugin.toml", &b.faulty, Some(&common::plugins::key()));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pkg).unwrap();
    let env = [("SISO__PLUGINS__TRUSTED", trusted)];
    let (ok, out) = server.siso_env(&["plugin", "install", &file.path().display().to_string()], &env);
    assert!(ok, "{out}");
    let d = server.data("op.lecce", "{ me { orgUnit { parent { id } } } }", json!({})).await;
    let lecce = s(&d["me"]["orgUnit"]["parent"]["id"]);
    let (ok, out) = server.siso_env(&["plugin", "enable", FOREIGN_PLUGIN, "--org", &lecce], &env);
    assert!(ok, "{out}");
}

/// Mutations naming a plug-in by its string id: another administration's plug-in answers like
/// a missing one and nothing changes. Enabling is left out on purpose: plug-ins are
/// installation-wide code, and enabling one for one's own units is every plug-in
/// administrator's right.
async fn plugin_slots(
    server: &Server,
    schema: &Schema,
    roots: &[(String, Value)],
    attacker: &str,
    home: &str,
) -> usize {
    let mut calls = 0;
    for (root, f) in roots.iter().filter(|(root, _)| *root == schema.mutation) {
        let field = s(&f["name"]);
        let args = f["args"].as_array().unwrap();
        if field == "enablePlugin" || !args.iter().any(|a| a["name"] == "plugin") {
            continue;
        }
        let (_, _, tname) = unwrap(&f["type"]);
        let sel = schema.selection(&tname, 1);
        for unit in [&common::gid("OrgUnit", 1), home] {
            let call = |plugin: &str| {
                let mut parts = vec![format!("plugin: {}", json!(plugin))];
                for a in args.iter().filter(|a| a["name"] != "plugin" && unwrap(&a["type"]).0) {
                    let name = s(&a["name"]);
                    let fill = |_: &str| Some(unit.to_string());
                    parts.push(format!("{name}: {}", schema.literal(&name, &a["type"], &fill).unwrap()));
                }
                let _ = root;
                format!("mutation {{ {field}({}) {{ {sel} }} }}", parts.join(", "))
            };
            let a = server.gql(Some(attacker), &call(FOREIGN_PLUGIN), json!({})).await;
            let b = server.gql(Some(attacker), &call("test.missing"), json!({})).await;
            calls += 2;
            assert_eq!(
                a,
                b,
                "{attacker}: {field}(plugin) with another administration's plug-in answers differently from a missing one\n{}",
                call(FOREIGN_PLUGIN)
            );
        }
    }
    assert!(calls >= 8, "the registry's mutations were not covered");
    calls
}

mod bola_matrix {
    use super::*;

    async fn run(db: common::Db) {
        let trusted = common::plugins::trusted();
        let server = Server::start_with(db, &[("SISO__PLUGINS__TRUSTED", &trusted)]).await;
        install_foreign_plugin(&server, &trusted).await;
        matrix(&server).await;
        server.stop().await;
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
