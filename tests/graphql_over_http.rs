//! GraphQL over HTTP: the real server against the audits of the `graphql-http` package (the
//! reference implementation of the GraphQL-over-HTTP specification), pinned by the lockfile in
//! `tests/graphql-http/`; every MUST and SHOULD audit passes. Then what the audits do not try,
//! as an attacker would: a mutation sent by GET (a link or an image from another site), a form
//! post without a CORS preflight, and an answer type nobody accepts. Last, automatic persisted
//! queries: a document named by its hash answers only the principal who sent its text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Db, Server};
use serde_json::{Value, json};

fn audit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/graphql-http")
}

/// Installs the audit's package from its lockfile when it is not installed yet.
fn install() {
    let dir = audit_dir();
    if dir.join("node_modules/graphql-http").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .expect("npm (nodejs and npm are needed by the build already)");
    assert!(status.success(), "npm ci in {}", dir.display());
}

#[tokio::test]
async fn the_endpoint_passes_every_must_and_should_audit() {
    install();
    let server = Server::start(Db::Sqlite).await;
    let out = Command::new("node")
        .arg("audit.mjs")
        .current_dir(audit_dir())
        .env("GRAPHQL_URL", format!("{}/graphql", server.url))
        .output()
        .expect("node");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the GraphQL-over-HTTP audit failed:\n{text}");
    // The audit really ran: its summary counts its audits (61 in this version) and no failure.
    let summary = text.lines().find(|l| l.contains(" audits: ")).unwrap_or_else(|| panic!("no summary:\n{text}"));
    let audits: usize = summary.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(audits >= 50, "only {audits} audits ran:\n{text}");
    assert!(summary.ends_with("; 0 MUST/SHOULD failure(s)"), "{summary}");
}

#[tokio::test]
async fn gets_only_read_and_bodies_are_json_only() {
    let server = Server::start(Db::Sqlite).await;
    let http = server.http();
    let url = format!("{}/graphql", server.url);
    let before = server.fingerprint().await;

    // A mutation by GET is refused before it runs, whatever its name or shape.
    for (query, op) in [
        ("mutation { closeCase(caseId: \"1\") { errors { code } } }", None),
        ("query A { __typename } mutation B { closeCase(caseId: \"1\") { errors { code } } }", Some("B")),
        ("query A { __typename } mutation B { closeCase(caseId: \"1\") { errors { code } } }", None),
    ] {
        let mut params = vec![("query", query)];
        if let Some(op) = op {
            params.push(("operationName", op));
        }
        let r = http
            .get(&url)
            .query(&params)
            .header("x-siso-operator", "op.roma1")
            .header("accept", "application/graphql-response+json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{query}");
        assert_eq!(r.headers().get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    }
    // A query by GET runs, as the signed-in operator.
    let r = http
        .get(&url)
        .query(&[("query", "{ me { username } }")])
        .header("x-siso-operator", "op.roma1")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"]["me"]["username"], "op.roma1", "{v}");

    // A body a browser may post cross-site without a preflight (a form, text) is refused
    // before it is read, even when it holds a well-formed request.
    let body = json!({ "query": "mutation { closeCase(caseId: \"1\") { errors { code } } }" }).to_string();
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let r = http
            .post(&url)
            .header("content-type", ct)
            .header("x-siso-operator", "op.roma1")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415, "{ct}");
    }
    // No answer type the client accepts: 406, nothing run.
    let r = http
        .post(&url)
        .header("accept", "text/html")
        .header("x-siso-operator", "op.roma1")
        .json(&json!({ "query": "{ me { username } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);
    // Malformed parameters: 400 with a code, whatever the accepted type.
    for body in
        [r#"{"query": 42}"#, r#"{"variables": {}}"#, "[1,2", r#"{"query": "{ me { username } }", "variables": "x"}"#]
    {
        let r = http.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert!(v["errors"][0]["extensions"]["code"].is_string(), "{v}");
    }
    // Answers hold personal data: no cache keeps them.
    let r = http
        .post(&url)
        .header("x-siso-operator", "op.roma1")
        .json(&json!({ "query": "{ me { username } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert_eq!(server.fingerprint().await, before, "a refused request changed the database");
}

/// The SHA-256 of a document, in lower-case hexadecimal.
fn sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A request naming its document by hash, with or without its text.
async fn persisted(server: &Server, operator: Option<&str>, query: Option<&str>, hash: &str, vars: Value) -> Value {
    let mut body =
        json!({ "variables": vars, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    if let Some(q) = query {
        body["query"] = json!(q);
    }
    let mut req = server.http().post(format!("{}/graphql", server.url)).json(&body);
    if let Some(op) = operator {
        req = req.header("x-siso-operator", op);
    }
    req.send().await.unwrap().json().await.unwrap()
}

fn code(v: &Value) -> &Value {
    &v["errors"][0]["extensions"]["code"]
}

#[tokio::test]
async fn persisted_queries_answer_by_hash_only_for_their_sender() {
    let server = Server::start(Db::Sqlite).await;
    let query = "query Units { orgUnits { id name } me { username } }";
    let hash = sha256(query);
    // Unknown hash: the client is told to send the text (Apollo's clients match the message).
    let v = persisted(&server, Some("op.perugia"), None, &hash, json!({})).await;
    assert_eq!(code(&v), "PERSISTED_QUERY_NOT_FOUND", "{v}");
    assert_eq!(v["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(v.get("data").is_none(), "{v}");
    // Text and hash: answered and kept; then the hash alone gives the same answer.
    let full = persisted(&server, Some("op.perugia"), Some(query), &hash, json!({})).await;
    assert!(full.get("errors").is_none(), "{full}");
    assert_eq!(full["data"]["me"]["username"], "op.perugia");
    let by_hash = persisted(&server, Some("op.perugia"), None, &hash, json!({})).await;
    assert_eq!(by_hash, full);
    // By GET too, as front ends send cacheable reads.
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let v: Value = server
        .http()
        .get(format!("{}/graphql", server.url))
        .query(&[("extensions", ext.as_str())])
        .header("x-siso-operator", "op.perugia")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, full);
    // Another administration's operator and an anonymous client cannot learn that the
    // document was sent: the hash is unknown to them, exactly as a hash nobody sent.
    for other in [Some("op.roma1"), Some("amm.perugia"), None] {
        let v = persisted(&server, other, None, &hash, json!({})).await;
        assert_eq!(code(&v), "PERSISTED_QUERY_NOT_FOUND", "{other:?}: {v}");
        let v = persisted(&server, other, None, &sha256("{ nothing }"), json!({})).await;
        assert_eq!(code(&v), "PERSISTED_QUERY_NOT_FOUND", "{other:?}: {v}");
    }
    // A hash that is not the text's, and malformed ones, are refused and nothing runs.
    let v = persisted(&server, Some("op.perugia"), Some("{ me { username } }"), &hash, json!({})).await;
    assert_eq!(code(&v), "PERSISTED_QUERY_HASH_MISMATCH", "{v}");
    let huge = "a".repeat(200_000);
    for bad in ["", "xyz", &hash.to_uppercase(), &format!("{hash}00"), &huge] {
        let v = persisted(&server, Some("op.perugia"), None, bad, json!({})).await;
        assert_eq!(code(&v), "PERSISTED_QUERY_INVALID", "{}: {v}", &bad[..bad.len().min(80)]);
    }
    // A mutation kept by hash through POST still cannot run by GET.
    let mutation = r#"mutation { revokeApiKey(apiKeyId: "999999") { errors { code } } }"#;
    let m = sha256(mutation);
    let v = persisted(&server, Some("amm.perugia"), Some(mutation), &m, json!({})).await;
    assert!(v["data"]["revokeApiKey"].is_object(), "{v}");
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": m } }).to_string();
    let r = server
        .http()
        .get(format!("{}/graphql", server.url))
        .query(&[("extensions", ext.as_str())])
        .header("x-siso-operator", "amm.perugia")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    // The documents counter of /metrics saw the hits.
    let metrics = server.http().get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    let hits: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("siso_graphql_documents_total{result=\"hit\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(hits >= 2, "{metrics}");
    server.stop().await;
}
