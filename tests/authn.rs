//! Authentication: OpenID Connect bearer tokens (RS256 and ES256, keys from a JWKS file or a
//! URL that is refreshed; operators bound by (issuer, subject), one namespace per provider),
//! API keys for machine clients (never more than their creator may do, and logged as their
//! creator), and the development login only in development mode, on the loopback interface,
//! without identity providers. Every refused credential gets HTTP 401 with a typed reason, is
//! logged, and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{Server, s};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

const ISSUER: &str = "https://idp.test/realms/pa";
const ISSUER2: &str = "https://broker.test";
const AUDIENCE: &str = "siso";

fn fixture(name: &str) -> String {
    format!("{}/../../tests/fixtures/oidc/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Seconds since the epoch of the servers' fixed clock, plus `offset`.
fn at(offset: i64) -> i64 {
    chrono::DateTime::parse_from_rfc3339(common::NOW).unwrap().timestamp() + offset
}

fn token(alg: Algorithm, kid: &str, key_file: &str, claims: Value) -> String {
    let pem = std::fs::read(fixture(key_file)).unwrap();
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    encode(&header, &claims, &key).unwrap()
}

/// Claims naming `user` by subject (`sub-<user>`); `preferred_username` says the same name but
/// is never trusted.
fn claims(user: &str, iss: &str, aud: &str, exp: i64) -> Value {
    json!({ "iss": iss, "aud": aud, "exp": exp, "iat": at(-60), "sub": format!("sub-{user}"), "preferred_username": user })
}

/// Binds `user` to the subject `sub-<user>` of `issuer` with `siso identity link`.
fn link(server: &Server, user: &str, issuer: &str) {
    let sub = format!("sub-{user}");
    let (ok, out) = server.siso(&["identity", "link", user, "--issuer", issuer, "--subject", &sub]);
    assert!(ok, "{out}");
}

/// A JWKS endpoint whose document the test can change.
fn jwks_server(doc: Arc<Mutex<String>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = doc.lock().unwrap().clone();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

async fn post(server: &Server, auth: Option<&str>, query: &str, vars: Value) -> (u16, Value) {
    let mut req =
        server.http().post(format!("{}/graphql", server.url)).json(&json!({ "query": query, "variables": vars }));
    if let Some(a) = auth {
        req = req.header("authorization", format!("Bearer {a}"));
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

const CASES: &str = "{ cases(first: 100) { edges { node { id } } } }";
const CREATE: &str = r#"mutation($o: ID!) { createPerson(input: { orgUnitId: $o, surname: "Verdi", givenName: "Ada", sex: F, birthDate: "1950-01-01" }) { person { id } errors { code } } }"#;

fn ids(v: &Value) -> Vec<String> {
    v["data"]["cases"]["edges"].as_array().unwrap().iter().map(|e| s(&e["node"]["id"])).collect()
}

/// A refused credential: 401, the reason, nothing written, and a log line.
async fn refused(server: &Server, auth: &str, reason: &str, office: &str) {
    let before = server.fingerprint().await;
    let (status, v) = post(server, Some(auth), CREATE, json!({ "o": office })).await;
    assert_eq!(server.fingerprint().await, before, "a refused credential changed the database: {v}");
    assert_eq!(status, 401, "{reason}: {v}");
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{v}");
    assert_eq!(v["errors"][0]["extensions"]["reason"], reason, "{v}");
    assert!(v.get("data").is_none(), "{v}");
    assert!(
        server.log().contains(&format!("reason=\"{reason}\"")) || server.log().contains(reason),
        "not logged: {reason}"
    );
}

async fn tokens_and_keys(db: common::Db) {
    let doc = Arc::new(Mutex::new(json!({ "keys": [] }).to_string()));
    let jwks: Value = serde_json::from_str(&std::fs::read_to_string(fixture("jwks.json")).unwrap()).unwrap();
    let rsa_only = json!({ "keys": [jwks["keys"][0].clone()] }).to_string();
    *doc.lock().unwrap() = rsa_only;
    let url = jwks_server(doc.clone());
    let jwks_file = fixture("jwks.json");
    let server = Server::start_with(
        db,
        &[
            ("SISO__API__AUTH__DEV_LOGIN", "false"),
            ("SISO__API__AUTH__OIDC__REGION__ISSUER", ISSUER),
            ("SISO__API__AUTH__OIDC__REGION__AUDIENCE", AUDIENCE),
            ("SISO__API__AUTH__OIDC__REGION__JWKS_FILE", &jwks_file),
            ("SISO__API__AUTH__OIDC__BROKER__ISSUER", ISSUER2),
            ("SISO__API__AUTH__OIDC__BROKER__AUDIENCE", AUDIENCE),
            ("SISO__API__AUTH__OIDC__BROKER__JWKS_URL", &url),
        ],
    )
    .await;
    for user in ["op.roma1", "op.roma7", "admin.roma", "head.roma1", "dpo.roma"] {
        link(&server, user, ISSUER);
    }
    link(&server, "op.roma1", ISSUER2);

    // Development login is off: the header is refused; anonymous requests read nothing.
    let r = server
        .http()
        .post(format!("{}/graphql", server.url))
        .header("x-siso-operator", "op.roma1")
        .json(&json!({ "query": CASES }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["extensions"]["reason"], "DEV_LOGIN_DISABLED", "{v}");
    let (status, v) = post(&server, None, CASES, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{v}");

    // RS256 and ES256 tokens from the file's keys: the operator's own view.
    let rs = token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("op.roma1", ISSUER, AUDIENCE, at(600)));
    let (status, v) = post(&server, Some(&rs), "{ me { id orgUnit { id } } }", json!({})).await;
    assert_eq!(status, 200, "{v}");
    let office = s(&v["data"]["me"]["orgUnit"]["id"]);
    let (_, v) = post(&server, Some(&rs), CASES, json!({})).await;
    let mine = ids(&v);
    assert!(!mine.is_empty(), "{v}");
    let es = token(Algorithm::ES256, "ec-1", "ec.pem", claims("op.roma7", ISSUER, AUDIENCE, at(600)));
    let (status, v) = post(&server, Some(&es), CASES, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert!(ids(&v).iter().all(|c| !mine.contains(c)), "Municipio VII sees none of Municipio I's cases");

    // Hostile tokens.
    refused(
        &server,
        &token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("op.roma1", ISSUER, AUDIENCE, at(-120))),
        "TOKEN_EXPIRED",
        &office,
    )
    .await;
    refused(
        &server,
        &token(Algorithm::RS256, "rsa-1", "forger.pem", claims("op.roma1", ISSUER, AUDIENCE, at(600))),
        "TOKEN_INVALID",
        &office,
    )
    .await;
    refused(
        &server,
        &token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("op.roma1", ISSUER, "another-app", at(600))),
        "TOKEN_WRONG_AUDIENCE",
        &office,
    )
    .await;
    refused(
        &server,
        &token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("op.roma1", "https://evil.test", AUDIENCE, at(600))),
        "TOKEN_WRONG_ISSUER",
        &office,
    )
    .await;
    refused(
        &server,
        &token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("nobody", ISSUER, AUDIENCE, at(600))),
        "UNKNOWN_OPERATOR",
        &office,
    )
    .await;
    // Identities are bound per provider by subject: a name claimed in `preferred_username`
    // signs nobody in, and a subject bound for one provider means nothing from another.
    let mut c = claims("op.roma1", ISSUER, AUDIENCE, at(600));
    c["preferred_username"] = json!("coord.roma");
    let (status, v) = post(&server, Some(&token(Algorithm::RS256, "rsa-1", "rsa.pem", c)), CASES, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(ids(&v), mine, "the subject decides, not the name the token claims");
    let mut c = claims("op.roma1", ISSUER, AUDIENCE, at(600));
    c["sub"] = json!("sub-nobody");
    c["preferred_username"] = json!("op.roma1");
    refused(&server, &token(Algorithm::RS256, "rsa-1", "rsa.pem", c), "UNKNOWN_OPERATOR", &office).await;
    let mut c = claims("op.roma1", ISSUER, AUDIENCE, at(600));
    c["azp"] = json!("another-client");
    refused(&server, &token(Algorithm::RS256, "rsa-1", "rsa.pem", c), "TOKEN_WRONG_AUDIENCE", &office).await;

    // Algorithm confusion: HMAC keyed with something public, and `none`.
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("rsa-1".into());
    let hs = encode(
        &h,
        &claims("op.roma1", ISSUER, AUDIENCE, at(600)),
        &EncodingKey::from_secret(jwks.to_string().as_bytes()),
    )
    .unwrap();
    refused(&server, &hs, "TOKEN_INVALID", &office).await;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims("op.roma1", ISSUER, AUDIENCE, at(600)))
    );
    refused(&server, &none, "TOKEN_INVALID", &office).await;
    refused(&server, "not.a.token", "TOKEN_INVALID", &office).await;
    // A token whose payload was altered after signing.
    let mut parts: Vec<String> = rs.split('.').map(str::to_string).collect();
    parts[1] = b64(&claims("coord.roma", ISSUER, AUDIENCE, at(600)));
    refused(&server, &parts.join("."), "TOKEN_INVALID", &office).await;

    // Keys from a URL: a new key is picked up when a token names it (refreshed at most once a
    // second).
    let es2 = token(Algorithm::ES256, "ec-1", "ec.pem", claims("op.roma1", ISSUER2, AUDIENCE, at(600)));
    refused(&server, &es2, "TOKEN_INVALID", &office).await;
    *doc.lock().unwrap() = jwks.to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (status, v) = post(&server, Some(&es2), CASES, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(ids(&v), mine);
    // The broker's namespace is its own: op.roma7 is bound for the Region's provider only.
    let es3 = token(Algorithm::ES256, "ec-1", "ec.pem", claims("op.roma7", ISSUER2, AUDIENCE, at(600)));
    refused(&server, &es3, "UNKNOWN_OPERATOR", &office).await;

    // API keys: made by an administrator who holds the key's roles, shown once, stored hashed,
    // scoped, revocable. Roma's administrator manages the office but holds no case role, so
    // it makes the office head an administrator of the office, who then makes the key.
    let admin = token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("admin.roma", ISSUER, AUDIENCE, at(600)));
    let head = token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("head.roma1", ISSUER, AUDIENCE, at(600)));
    let (_, v) = post(&server, Some(&head), "{ me { id } }", json!({})).await;
    let head_id = s(&v["data"]["me"]["id"]);
    let grant = "mutation($op: ID!, $r: String!, $u: ID!) { grantRole(operatorId: $op, role: $r, orgUnitId: $u) { errors { code } } }";
    let (_, v) = post(&server, Some(&admin), grant, json!({ "op": head_id, "r": "org_admin", "u": office })).await;
    assert_eq!(v["data"]["grantRole"]["errors"], json!([]), "{v}");
    let create = r#"mutation($o: ID!, $r: [String!]!, $e: DateTime!) { createApiKey(input: { name: "Registry sync", orgUnitId: $o, roles: $r, expiresAt: $e }) { apiKey { id prefix roles revokedAt } key errors { code field } } }"#;
    // Finding 1: an administrator cannot mint a key with roles it does not hold itself.
    let before = server.fingerprint().await;
    let roma =
        s(&post(&server, Some(&admin), "{ me { orgUnit { id } } }", json!({})).await.1["data"]["me"]["orgUnit"]["id"]);
    let (_, v) = post(
        &server,
        Some(&admin),
        create,
        json!({ "o": roma, "r": ["operator", "auditor"], "e": "2027-06-01T00:00:00Z" }),
    )
    .await;
    assert_eq!(v["data"]["createApiKey"]["errors"][0]["code"], "ROLE_NOT_HELD", "{v}");
    assert_eq!(server.fingerprint().await, before, "a refused key writes nothing");
    let (_, v) =
        post(&server, Some(&head), create, json!({ "o": office, "r": ["office_head"], "e": "2027-06-01T00:00:00Z" }))
            .await;
    let key = s(&v["data"]["createApiKey"]["key"]);
    let key_id = s(&v["data"]["createApiKey"]["apiKey"]["id"]);
    assert!(key.starts_with("siso_"), "{v}");
    assert_eq!(v["data"]["createApiKey"]["apiKey"]["roles"], json!(["office_head"]));
    let (_, v) = post(&server, Some(&admin), "{ apiKeys { id prefix name } }", json!({})).await;
    assert!(v["data"]["apiKeys"].as_array().unwrap().iter().any(|k| s(&k["id"]) == key_id), "{v}");
    assert!(!v.to_string().contains(&key), "a key is shown only once");
    let db = server.db().await;
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT key_hash, prefix FROM api_keys WHERE id = {}", common::key(&key_id)),
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get_by_index(0).unwrap();
    assert!(stored.len() == 64 && !key.contains(&stored) && stored != key, "only a hash is stored");
    let (status, v) = post(&server, Some(&key), CASES, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(ids(&v), mine, "the key reads what its unit and role allow");
    // A read made with the key is in the access log under the operator who made it.
    let case = mine[0].clone();
    let (_, v) =
        post(&server, Some(&key), "query($c: ID!) { case(id: $c) { person { id } } }", json!({ "c": case })).await;
    let person = s(&v["data"]["case"]["person"]["id"]);
    let dpo = token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("dpo.roma", ISSUER, AUDIENCE, at(600)));
    let (_, v) = post(
        &server,
        Some(&dpo),
        "query($p: ID!) { accessLog(personId: $p, first: 100) { edges { node { actor action } } } }",
        json!({ "p": person }),
    )
    .await;
    let events = v["data"]["accessLog"]["edges"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["node"]["actor"] == "key:Registry sync for head.roma1" && e["node"]["action"] == "person.read"),
        "{v}"
    );
    // Hostile key requests: a social worker cannot make keys; keys cannot administer.
    let op = token(Algorithm::RS256, "rsa-1", "rsa.pem", claims("op.roma1", ISSUER, AUDIENCE, at(600)));
    let before = server.fingerprint().await;
    let (_, v) =
        post(&server, Some(&op), create, json!({ "o": office, "r": ["operator"], "e": "2027-06-01T00:00:00Z" })).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{v}");
    let (_, v) =
        post(&server, Some(&admin), create, json!({ "o": office, "r": ["org_admin"], "e": "2027-06-01T00:00:00Z" }))
            .await;
    assert_eq!(v["data"]["createApiKey"]["errors"][0]["code"], "ROLE_NOT_FOR_KEYS", "{v}");
    let (_, v) =
        post(&server, Some(&head), create, json!({ "o": office, "r": ["office_head"], "e": "2020-01-01T00:00:00Z" }))
            .await;
    assert_eq!(v["data"]["createApiKey"]["errors"][0]["code"], "INVALID_DATE", "{v}");
    let (_, v) =
        post(&server, Some(&key), create, json!({ "o": office, "r": ["operator"], "e": "2027-06-01T00:00:00Z" })).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "a key cannot make keys: {v}");
    assert_eq!(server.fingerprint().await, before);
    let forged = format!("{}{}", &key[..key.len() - 4], "0000");
    refused(&server, &forged, "API_KEY_INVALID", &office).await;
    // Revoked: refused at once.
    let (_, v) = post(
        &server,
        Some(&admin),
        "mutation($k: ID!) { revokeApiKey(apiKeyId: $k) { apiKey { revokedAt } errors { code } } }",
        json!({ "k": key_id }),
    )
    .await;
    assert!(v["data"]["revokeApiKey"]["apiKey"]["revokedAt"].is_string(), "{v}");
    refused(&server, &key, "API_KEY_REVOKED", &office).await;
    // Expired: a second key whose expiry has passed (moved back in the database, since the
    // servers' clock is fixed).
    let (_, v) =
        post(&server, Some(&head), create, json!({ "o": office, "r": ["office_head"], "e": "2026-12-01T00:00:00Z" }))
            .await;
    let key2 = s(&v["data"]["createApiKey"]["key"]);
    let id2 = s(&v["data"]["createApiKey"]["apiKey"]["id"]);
    let (status, _) = post(&server, Some(&key2), CASES, json!({})).await;
    assert_eq!(status, 200);
    let past = if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        "'2026-11-01T00:00:00Z'"
    } else {
        "'2026-11-01T00:00:00+00:00'"
    };
    db.execute_unprepared(&format!("UPDATE api_keys SET expires_at = {past} WHERE id = {}", common::key(&id2)))
        .await
        .unwrap();
    refused(&server, &key2, "API_KEY_EXPIRED", &office).await;

    // A key never does more than its creator may do now: when the office head loses the role,
    // the key reads nothing more.
    let (_, v) =
        post(&server, Some(&head), create, json!({ "o": office, "r": ["office_head"], "e": "2027-06-01T00:00:00Z" }))
            .await;
    let key3 = s(&v["data"]["createApiKey"]["key"]);
    let (_, v) = post(&server, Some(&key3), CASES, json!({})).await;
    assert_eq!(ids(&v), mine);
    let revoke = "mutation($op: ID!, $r: String!, $u: ID!) { revokeRole(operatorId: $op, role: $r, orgUnitId: $u) { errors { code } } }";
    let (_, v) = post(&server, Some(&admin), revoke, json!({ "op": head_id, "r": "office_head", "u": office })).await;
    assert_eq!(v["data"]["revokeRole"]["errors"], json!([]), "{v}");
    let (status, v) = post(&server, Some(&key3), CASES, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert!(ids(&v).is_empty(), "the key lost what its creator lost: {v}");
    server.stop().await;
}

/// A broker that verifies the codice fiscale (SPID, CIE) signs in the operator with that code,
/// whatever name the token claims; an unknown code signs nobody in.
async fn fiscal_code_broker(db: common::Db) {
    let jwks_file = fixture("jwks.json");
    let server = Server::start_with(
        db,
        &[
            ("SISO__API__AUTH__DEV_LOGIN", "false"),
            ("SISO__API__AUTH__OIDC__SPID__ISSUER", ISSUER2),
            ("SISO__API__AUTH__OIDC__SPID__AUDIENCE", AUDIENCE),
            ("SISO__API__AUTH__OIDC__SPID__JWKS_FILE", &jwks_file),
            ("SISO__API__AUTH__OIDC__SPID__IDENTITY", "fiscal_code"),
            ("SISO__API__AUTH__OIDC__SPID__FISCAL_CODE_CLAIM", "fiscalNumber"),
        ],
    )
    .await;
    let conn = server.db().await;
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared("UPDATE operators SET fiscal_code = 'RSSMRA85T10A562S' WHERE username = 'op.roma7'")
        .await
        .unwrap();
    let mut c = claims("op.roma1", ISSUER2, AUDIENCE, at(600));
    c["fiscalNumber"] = json!("TINIT-RSSMRA85T10A562S");
    let (status, v) =
        post(&server, Some(&token(Algorithm::RS256, "rsa-1", "rsa.pem", c)), "{ me { username } }", json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["me"]["username"], "op.roma7", "the code decides, not the claimed name: {v}");
    let mut c = claims("op.roma7", ISSUER2, AUDIENCE, at(600));
    c["fiscalNumber"] = json!("TINIT-VRDGPP80A01H501U");
    let (status, v) =
        post(&server, Some(&token(Algorithm::RS256, "rsa-1", "rsa.pem", c)), "{ me { username } }", json!({})).await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["errors"][0]["extensions"]["reason"], "UNKNOWN_OPERATOR", "{v}");
    server.stop().await;
}

/// Operators who sign in are kept per policy generation: deactivating one (with the bump of the
/// generation that every change to an operator makes) refuses their next requests once the
/// server has seen the new generation, though they signed in a moment before.
async fn deactivated_operator(db: common::Db) {
    use sea_orm::ConnectionTrait;
    let server = Server::start(db).await;
    let me = || {
        server
            .http()
            .post(format!("{}/graphql", server.url))
            .header("x-siso-operator", "op.lodi")
            .json(&json!({ "query": "{ me { username } }" }))
            .send()
    };
    for _ in 0..2 {
        let v: Value = me().await.unwrap().json().await.unwrap();
        assert_eq!(v["data"]["me"]["username"], "op.lodi", "{v}");
    }
    let conn = server.db().await;
    conn.execute_unprepared("UPDATE operators SET active = false WHERE username = 'op.lodi'").await.unwrap();
    conn.execute_unprepared("UPDATE authz_state SET generation = generation + 1").await.unwrap();
    // The server polls the generation (every 500 ms); wait for it, without a timed assertion.
    let mut last = Value::Null;
    for _ in 0..100 {
        let r = me().await.unwrap();
        let status = r.status().as_u16();
        last = r.json().await.unwrap();
        if status == 401 {
            assert_eq!(last["errors"][0]["extensions"]["reason"], "UNKNOWN_OPERATOR", "{last}");
            server.stop().await;
            return;
        }
        assert_eq!(last["data"]["me"]["username"], "op.lodi", "{last}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("a deactivated operator still signs in 10 s after the generation moved: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivated_operator_sqlite() {
    deactivated_operator(common::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivated_operator_postgres() {
    deactivated_operator(common::Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fiscal_code_broker_sqlite() {
    fiscal_code_broker(common::Db::Sqlite).await;
}

/// The development login refuses to start beyond the loopback interface or beside an
/// identity provider.
#[test]
fn dev_login_stays_on_loopback() {
    for env in [
        vec![("SISO__SERVER__LISTEN", "0.0.0.0:0")],
        vec![
            ("SISO__SERVER__LISTEN", "127.0.0.1:0"),
            ("SISO__API__AUTH__OIDC__REGION__ISSUER", ISSUER),
            ("SISO__API__AUTH__OIDC__REGION__AUDIENCE", AUDIENCE),
            ("SISO__API__AUTH__OIDC__REGION__JWKS_FILE", "/nonexistent/jwks.json"),
        ],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_siso"));
        cmd.arg("serve")
            .env("SISO__DATABASE__URL", format!("sqlite://{}/siso.db", dir.path().display()))
            .env("SISO__API__AUTH__DEV_LOGIN", "true")
            .current_dir(dir.path());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "started with {env:?}: {text}");
        assert!(text.contains("development login"), "{text}");
        assert!(!text.contains("siso listening"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    tokens_and_keys(common::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    tokens_and_keys(common::Db::Postgres).await;
}
