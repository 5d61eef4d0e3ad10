//! The HTTP server: routes, limits, CORS, health and metrics.

use std::collections::BTreeMap;
use std::time::Duration;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use siso_app::App;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use crate::documents::Documents;
use crate::schema::{SisoSchema, build_schema};
use crate::{auth, graphiql, loaders};

/// HTTP settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Origins allowed by CORS (`*` for any; empty for none).
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Serve GraphiQL on GET /graphql.
    pub graphiql: bool,
    /// Authentication: OpenID Connect providers and the development login.
    pub auth: crate::auth::AuthConfig,
    /// Parsed documents kept between requests (and answerable by hash), in KiB of document
    /// text; 0 turns the cache and persisted queries off. See [`crate::documents`].
    pub documents_kib: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
            graphiql: true,
            auth: Default::default(),
            documents_kib: crate::documents::MAX_BYTES / 1024,
        }
    }
}

#[derive(Clone)]
struct AppState {
    app: App,
    auth: std::sync::Arc<auth::Authenticator>,
    schema: SisoSchema,
    graphiql: bool,
    documents: std::sync::Arc<Documents>,
}

/// The whole HTTP application, with its authenticator (see [`auth::Authenticator::new`]).
pub fn router(app: App, auth: std::sync::Arc<auth::Authenticator>, cfg: &ApiConfig) -> Router {
    let state = AppState {
        app,
        auth,
        schema: build_schema(),
        graphiql: cfg.graphiql,
        documents: std::sync::Arc::new(Documents::new(cfg.documents_kib.saturating_mul(1024))),
    };
    let cors = cors(&cfg.cors_origins);
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(graphiql::routes())
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(cfg.max_body_bytes))
        .layer(cors)
        .with_state(state)
}

fn cors(origins: &[String]) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::HeaderName::from_static(auth::OPERATOR_HEADER),
            header::HeaderName::from_static("x-siso-purpose"),
        ])
        .max_age(Duration::from_secs(3600));
    if origins.iter().any(|o| o == "*") {
        base.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        base.allow_origin(AllowOrigin::list(list))
    }
}

/// The declared purpose of a request (header `x-siso-purpose`, printable, at most 200 characters).
fn purpose(headers: &HeaderMap) -> Option<String> {
    let p = headers.get("x-siso-purpose")?.to_str().ok()?.trim();
    (!p.is_empty() && p.chars().count() <= 200 && !p.chars().any(char::is_control)).then(|| p.to_string())
}

/// Refused credentials: HTTP 401 with a GraphQL error carrying `UNAUTHENTICATED` and the reason.
fn unauthenticated(why: auth::AuthFailure) -> Response {
    tracing::warn!(reason = why.code(), "authentication failed");
    let body = serde_json::json!({
        "errors": [{
            "message": "the credentials were refused",
            "extensions": { "code": "UNAUTHENTICATED", "reason": why.code() }
        }]
    });
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], axum::Json(body)).into_response()
}

/// The media type of a GraphQL answer, chosen from the request's `Accept` header as the
/// GraphQL-over-HTTP specification asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// `application/graphql-response+json`: a request GraphQL refuses before running it answers
    /// a 4xx (or 5xx) status.
    GraphQLResponse,
    /// `application/json`, the legacy type: every well-formed request answers 200.
    Json,
}

/// `application/graphql-response+json`.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
/// `application/json`.
const APPLICATION_JSON: &str = "application/json";

impl Media {
    /// The `Content-Type` of an answer in this media type.
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }
}

/// The `Accept` header(s) of a request as one list (empty when absent or not text).
fn accept_header(headers: &HeaderMap) -> String {
    let values: Vec<&str> = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect();
    values.join(",")
}

/// An RFC 9110 quality value (`0`, `0.5`, `1.000`) in thousandths; `None` when malformed.
fn qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// How much the media ranges of an `Accept` list want `media` (`type/subtype`, lower case):
/// the quality, in thousandths, of the most specific range matching it, and whether that
/// range names it exactly. `None` when no range matches; malformed ranges are skipped.
fn acceptance(accept: &str, media: &str) -> Option<(u16, bool)> {
    let (ty, _) = media.split_once('/')?;
    let mut best: Option<(u8, u16)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let specificity = if name == media {
            3
        } else if name.strip_suffix("/*") == Some(ty) {
            2
        } else if name == "*/*" {
            1
        } else {
            continue;
        };
        let mut quality = Some(1000);
        for param in parts {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                quality = qvalue(v.trim());
            }
        }
        let Some(quality) = quality else { continue };
        best = match best {
            Some((s, q)) if s > specificity || (s == specificity && q >= quality) => Some((s, q)),
            _ => Some((specificity, quality)),
        };
    }
    best.map(|(specificity, quality)| (quality, specificity == 3))
}

/// The media type to answer with: `application/json` when the request has no `Accept` header
/// or accepts both types alike (`*/*`, `application/*`); `application/graphql-response+json`
/// when it prefers that type or names it as well as `application/json`. `None` when it
/// accepts neither (the request is then refused with 406).
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let accept = accept_header(headers);
    if accept.trim().is_empty() {
        return Some(Media::Json);
    }
    let wanted = |media| acceptance(&accept, media).filter(|(q, _)| *q > 0);
    match (wanted(GRAPHQL_RESPONSE_JSON), wanted(APPLICATION_JSON)) {
        (None, None) => None,
        (Some(_), None) => Some(Media::GraphQLResponse),
        (None, Some(_)) => Some(Media::Json),
        (Some((qg, exact)), Some((qj, _))) => {
            Some(if qg > qj || (qg == qj && exact) { Media::GraphQLResponse } else { Media::Json })
        }
    }
}

/// Whether a browser asked for a page: the `Accept` header is absent or admits `text/html`.
fn accepts_html(headers: &HeaderMap) -> bool {
    let accept = accept_header(headers);
    accept.trim().is_empty() || acceptance(&accept, "text/html").is_some_and(|(q, _)| q > 0)
}

/// Whether a request body is declared as JSON in UTF-8 (`application/json`, without a charset
/// or with `charset=utf-8`): the only body this endpoint reads. Refusing the others (forms,
/// text, multipart) also means a browser cannot post a request cross-site without a CORS
/// preflight.
fn is_json_body(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case(APPLICATION_JSON)
        && parts.all(|param| match param.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            Some(_) => true,
            None => param.trim().is_empty(),
        })
}

/// A request refused before GraphQL saw it: `status` and one error carrying `code`.
fn refused(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

/// 406: the request accepts neither GraphQL answer type.
fn not_acceptable() -> Response {
    refused(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        "accept application/graphql-response+json or application/json",
    )
}

/// The parameters of a GraphQL request in a URL's query string (`variables` and `extensions`
/// as JSON text).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UrlParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// A URL parameter holding JSON text (`variables`, `extensions`): its value, or the default
/// when it is absent.
fn json_param<T: DeserializeOwned + Default>(param: Option<&str>) -> serde_json::Result<T> {
    Ok(param.map(serde_json::from_str).transpose()?.unwrap_or_default())
}

/// A GraphQL request's parameters, from a JSON body (as it is) or a URL: `query` is required
/// unless `extensions.persistedQuery` names a document by hash; `operationName`, `variables`
/// and `extensions` may be absent or null; anything else in a body is a 400.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: async_graphql::Variables,
    #[serde(default)]
    extensions: async_graphql::Extensions,
}

impl Params {
    /// Whether the request names no document at all (neither a text nor a hash).
    fn without_document(&self) -> bool {
        self.query.is_none() && !self.extensions.contains_key("persistedQuery")
    }
}

/// How a request came: a GET may only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
}

/// Whether the operations a document may run under `operation_name` are all queries: the one
/// named, or every one when no name is given (a name that matches nothing runs nothing, and
/// GraphQL answers it as a request error).
fn only_queries(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    doc.operations
        .iter()
        .filter(|(name, _)| operation_name.is_none() || name.map(|n| n.as_str()) == operation_name)
        .all(|(_, op)| op.node.ty == OperationType::Query)
}

/// POST /graphql: a JSON body with the request's parameters.
async fn graphql_post(State(s): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    if !is_json_body(&headers) {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json",
        );
    }
    // The body limits (`DefaultBodyLimit` and `RequestBodyLimitLayer`) apply here: 413.
    let body = match Bytes::from_request(req, &s).await {
        Ok(body) => body,
        Err(e) => {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "PAYLOAD_TOO_LARGE" } else { "BAD_REQUEST" };
            return refused(e.status(), code, &e.body_text());
        }
    };
    let params: Params = match serde_json::from_slice(&body) {
        Ok(params) => params,
        Err(e) => return refused(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("malformed GraphQL request: {e}")),
    };
    if params.without_document() {
        return refused(StatusCode::BAD_REQUEST, "BAD_REQUEST", "malformed GraphQL request: the query is missing");
    }
    execute(&s, &headers, params, media, Verb::Post).await
}

/// GET /graphql: GraphiQL for a browser asking for a page without a `query` parameter;
/// otherwise a GraphQL request in the query string, which may only read: a document that
/// could run a mutation answers 405 (a link or an image can send a GET from another site).
async fn graphql_get(State(s): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let params = match Query::<UrlParams>::try_from_uri(&uri) {
        Ok(Query(params)) => params,
        Err(e) => return refused(StatusCode::BAD_REQUEST, "BAD_REQUEST", &e.body_text()),
    };
    if params.query.is_none() && params.extensions.is_none() {
        if accepts_html(&headers) {
            return graphiql_page(&s);
        }
        return refused(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the query parameter is missing");
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let (variables, extensions) =
        match (json_param(params.variables.as_deref()), json_param(params.extensions.as_deref())) {
            (Ok(variables), Ok(extensions)) => (variables, extensions),
            (Err(e), _) | (_, Err(e)) => {
                return refused(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    &format!("malformed variables or extensions: {e}"),
                );
            }
        };
    let params = Params { query: params.query, operation_name: params.operation_name, variables, extensions };
    if params.without_document() {
        return refused(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the query parameter is missing");
    }
    execute(&s, &headers, params, media, Verb::Get).await
}

/// Who a request's documents are kept for (see [`crate::documents`]): the operator, or the
/// API key's client and the operator it acts for.
fn principal(actor: &siso_app::Actor) -> String {
    match (actor.operator_id, actor.on_behalf_of) {
        (Some(op), _) => format!("operator:{}", op.0),
        (None, Some(owner)) => format!("client:{}:{}", owner.0, actor.label),
        (None, None) => format!("actor:{}", actor.label),
    }
}

/// Runs a GraphQL request as the request's actor and answers it in `media`.
async fn execute(s: &AppState, headers: &HeaderMap, params: Params, media: Media, verb: Verb) -> Response {
    let gate = std::sync::Arc::new(loaders::PollGate::default());
    let actor = match s.auth.authenticate(&s.app, headers).await {
        Ok(auth::Authenticated::Actor(actor)) => {
            let mut actor = *actor;
            actor.reads = Some(std::sync::Arc::new(siso_app::audit::ReadLog::default()));
            actor.purpose = purpose(headers);
            Some(actor)
        }
        Ok(auth::Authenticated::Anonymous) => None,
        Ok(auth::Authenticated::Refused(why)) => return unauthenticated(why),
        Err(e) => {
            let err = crate::errors::to_graphql_error(e);
            let r = async_graphql::Response::from_errors(vec![err.into_server_error(async_graphql::Pos::default())]);
            return answer(r, media);
        }
    };
    let Params { query, operation_name, variables, mut extensions } = params;
    let who = actor.as_ref().map(principal);
    let resolved = match s.documents.resolve(who.as_deref(), query, &mut extensions) {
        Ok(resolved) => resolved,
        Err(e) => return answer(async_graphql::Response::from_errors(vec![e]), media),
    };
    // A document that does not parse is left to GraphQL, which answers it as a request error.
    if verb == Verb::Get
        && let Some(doc) = &resolved.doc
        && !only_queries(doc, operation_name.as_deref())
    {
        let mut r =
            refused(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "mutations are only accepted by POST");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let mut req = async_graphql::Request::new(resolved.query).variables(variables);
    req.operation_name = operation_name;
    req.extensions = extensions;
    if let Some(doc) = resolved.doc {
        req.set_parsed_query(doc);
    }
    let logged = actor.clone();
    if let Some(actor) = actor {
        let reader = s.app.reader(actor.clone());
        req = req.data(loaders::loaders(reader.clone(), gate.clone())).data(reader).data(actor);
    }
    req = req.data(s.app.clone());
    let mut response = loaders::Gated::new(Box::pin(s.schema.execute(req)), gate).await;
    crate::errors::with_codes(&mut response);
    // What the request was denied is counted and logged (no ids, no personal data).
    if let Some(actor) = &logged {
        s.app.report_denials(actor);
    }
    // Every read of personal data is in the access log before the data leaves the server.
    if let Some(actor) = &logged
        && let Err(e) = s.app.log_reads(actor).await
    {
        let err = crate::errors::to_graphql_error(e);
        let r = async_graphql::Response::from_errors(vec![err.into_server_error(async_graphql::Pos::default())]);
        return answer(r, media);
    }
    answer(response, media)
}

/// The body of a GraphQL answer: a request error (see [`crate::errors::is_request_error`])
/// has no `data` entry at all, as the GraphQL specification asks.
#[derive(Serialize)]
struct AnswerBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<async_graphql::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: BTreeMap<String, async_graphql::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<async_graphql::ServerError>,
}

/// A GraphQL response as HTTP, in `media`. With `application/graphql-response+json` a request
/// error answers 500 when the server failed (`INTERNAL`), 403 when it was refused
/// (`FORBIDDEN`), 400 otherwise (syntax, validation, variables, limits); with
/// `application/json` every answer is 200. Answers hold personal data: no cache stores them.
fn answer(response: async_graphql::Response, media: Media) -> Response {
    let request_error = crate::errors::is_request_error(&response);
    let has = |code: &str| {
        response.errors.iter().any(|e| {
            matches!(e.extensions.as_ref().and_then(|x| x.get("code")), Some(async_graphql::Value::String(c)) if c == code)
        })
    };
    let status = match media {
        Media::GraphQLResponse if request_error && has("INTERNAL") => StatusCode::INTERNAL_SERVER_ERROR,
        Media::GraphQLResponse if request_error && has("FORBIDDEN") => StatusCode::FORBIDDEN,
        Media::GraphQLResponse if request_error => StatusCode::BAD_REQUEST,
        Media::GraphQLResponse | Media::Json => StatusCode::OK,
    };
    let body = AnswerBody {
        data: (!request_error).then_some(response.data),
        extensions: response.extensions,
        errors: response.errors,
    };
    let bytes = match serde_json::to_vec(&body) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            return refused(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error");
        }
    };
    let mut http = (status, bytes).into_response();
    let headers = http.headers_mut();
    headers.extend(response.http_headers);
    headers.insert(header::CONTENT_TYPE, media.content_type());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    http
}

/// The GraphiQL page, or 404 when it is disabled.
fn graphiql_page(s: &AppState) -> Response {
    if s.graphiql {
        graphiql::page("/graphql").into_response()
    } else {
        (StatusCode::NOT_FOUND, Html("GraphiQL is disabled; POST GraphQL requests to /graphql")).into_response()
    }
}

async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn ready(State(s): State<AppState>) -> Response {
    let (db, pending) = s.app.readiness().await;
    let ok = db && pending == Some(0);
    let body = Json(serde_json::json!({
        "status": if ok { "ready" } else { "not ready" },
        "database": db,
        "pendingMigrations": pending,
    }));
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, body).into_response()
}

/// Per plug-in counters in the Prometheus text format.
fn plugin_metrics(app: &App) -> String {
    use std::fmt::Write as _;
    let plugins = app.plugins();
    let stats = plugins.runtime().stats();
    let snap = plugins.snapshot();
    let quarantined = plugins.quarantined();
    let mut out = String::new();
    let _ = writeln!(out, "# HELP siso_plugin_invocations_total Plug-in calls since start.");
    let _ = writeln!(out, "# TYPE siso_plugin_invocations_total counter");
    for (label, st) in &stats {
        let _ = writeln!(out, "siso_plugin_invocations_total{{plugin=\"{label}\"}} {}", st.invocations);
    }
    let _ = writeln!(out, "# HELP siso_plugin_faults_total Plug-in faults since start, by kind.");
    let _ = writeln!(out, "# TYPE siso_plugin_faults_total counter");
    for (label, st) in &stats {
        for (kind, n) in &st.faults {
            let _ = writeln!(out, "siso_plugin_faults_total{{plugin=\"{label}\",kind=\"{kind}\"}} {n}");
        }
    }
    let _ = writeln!(out, "# HELP siso_plugin_seconds_total Time spent in plug-in calls.");
    let _ = writeln!(out, "# TYPE siso_plugin_seconds_total counter");
    for (label, st) in &stats {
        let _ = writeln!(
            out,
            "siso_plugin_seconds_total{{plugin=\"{label}\"}} {}.{:09}",
            st.nanos / 1_000_000_000,
            st.nanos % 1_000_000_000
        );
    }
    let _ = writeln!(out, "# HELP siso_plugin_fuel_total Fuel used by plug-in calls.");
    let _ = writeln!(out, "# TYPE siso_plugin_fuel_total counter");
    for (label, st) in &stats {
        let _ = writeln!(out, "siso_plugin_fuel_total{{plugin=\"{label}\"}} {}", st.fuel);
    }
    let _ = writeln!(
        out,
        "# HELP siso_plugin_quarantined Whether a plug-in's enablement in a unit is quarantined (1) or not (0)."
    );
    let _ = writeln!(out, "# TYPE siso_plugin_quarantined gauge");
    for a in &snap.active {
        for e in &a.enablements {
            let q = u8::from(quarantined.contains_key(&(a.plugin_id, e.org_unit_id)));
            let (label, unit) = (a.plugin.label(), e.org_unit_id.0);
            let _ = writeln!(out, "siso_plugin_quarantined{{plugin=\"{label}\",org_unit=\"{unit}\"}} {q}");
        }
    }
    out
}

/// Records hidden from requests (answered as missing) and actions refused, by kind: a burst
/// is someone probing ids or permissions.
fn denial_metrics(app: &App) -> String {
    use std::fmt::Write as _;
    let d = app.authz().denials();
    let mut out = String::new();
    let _ =
        writeln!(out, "# HELP siso_authz_hidden_total Records hidden from requests (answered as missing), by kind.");
    let _ = writeln!(out, "# TYPE siso_authz_hidden_total counter");
    for (kind, n) in &d.hidden {
        let _ = writeln!(out, "siso_authz_hidden_total{{kind=\"{kind}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP siso_authz_forbidden_total Actions refused as forbidden, by permission.");
    let _ = writeln!(out, "# TYPE siso_authz_forbidden_total counter");
    for (permission, n) in &d.forbidden {
        let _ = writeln!(out, "siso_authz_forbidden_total{{permission=\"{permission}\"}} {n}");
    }
    out
}

async fn metrics(State(s): State<AppState>) -> Response {
    let (statements, background) = s.app.sql_statements();
    let mut text = format!(
        "# HELP siso_sql_statements_total SQL statements executed since start for requests and commands.\n\
         # TYPE siso_sql_statements_total counter\n\
         siso_sql_statements_total {statements}\n\
         # HELP siso_sql_background_statements_total SQL statements executed since start by background polls.\n\
         # TYPE siso_sql_background_statements_total counter\n\
         siso_sql_background_statements_total {background}\n"
    );
    let (hits, misses) = s.documents.counts();
    text.push_str(&format!(
        "# HELP siso_graphql_documents_total GraphQL documents found parsed (hit) or not (miss), by text or by hash.\n\
         # TYPE siso_graphql_documents_total counter\n\
         siso_graphql_documents_total{{result=\"hit\"}} {hits}\n\
         siso_graphql_documents_total{{result=\"miss\"}} {misses}\n"
    ));
    text.push_str(&denial_metrics(&s.app));
    text.push_str(&plugin_metrics(&s.app));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{e}")));
        headers
    }

    #[test]
    fn answers_in_the_media_type_asked_for() {
        let accept = |v: &str| negotiate(&with(header::ACCEPT, v));
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept("application/*"), Some(Media::Json));
        assert_eq!(accept("application/json"), Some(Media::Json));
        assert_eq!(accept("application/graphql-response+json"), Some(Media::GraphQLResponse));
        assert_eq!(accept("application/graphql-response+json, application/json"), Some(Media::GraphQLResponse));
        assert_eq!(accept("application/json, application/graphql-response+json"), Some(Media::GraphQLResponse));
        assert_eq!(accept("application/graphql-response+json;q=0.5, application/json"), Some(Media::Json));
        assert_eq!(accept("Application/GraphQL-Response+JSON ; q=1"), Some(Media::GraphQLResponse));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
        assert!(accepts_html(&HeaderMap::new()));
        assert!(accepts_html(&with(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")));
        assert!(accepts_html(&with(header::ACCEPT, "*/*")));
        assert!(!accepts_html(&with(header::ACCEPT, "application/json")));
        assert!(!accepts_html(&with(header::ACCEPT, "text/html;q=0, application/json")));
    }

    #[test]
    fn quality_values() {
        for (v, q) in
            [("1", Some(1000)), ("1.000", Some(1000)), ("0", Some(0)), ("0.5", Some(500)), ("0.125", Some(125))]
        {
            assert_eq!(qvalue(v), q, "{v}");
        }
        for v in ["1.5", "2", "0.1234", "", "x", "-0"] {
            assert_eq!(qvalue(v), None, "{v}");
        }
    }

    #[test]
    fn only_json_bodies_are_read() {
        let json = |v: &str| is_json_body(&with(header::CONTENT_TYPE, v));
        assert!(json("application/json"));
        assert!(json("application/json; charset=utf-8"));
        assert!(json("Application/JSON;charset=\"UTF-8\""));
        assert!(!json("application/json; charset=latin1"));
        assert!(!json("text/plain;charset=UTF-8"));
        assert!(!json("application/x-www-form-urlencoded"));
        assert!(!json("multipart/form-data; boundary=x"));
        assert!(!is_json_body(&HeaderMap::new()));
    }

    #[test]
    fn get_runs_only_queries() {
        let doc = |q: &str| async_graphql::parser::parse_query(q).unwrap_or_else(|e| panic!("{e}"));
        assert!(only_queries(&doc("{ __typename }"), None));
        assert!(!only_queries(&doc("mutation { __typename }"), None));
        assert!(!only_queries(&doc("subscription { __typename }"), None));
        let mixed = doc("query Q { __typename } mutation M { __typename }");
        assert!(only_queries(&mixed, Some("Q")));
        assert!(!only_queries(&mixed, Some("M")));
        assert!(!only_queries(&mixed, None));
        // A name that matches nothing runs nothing: GraphQL answers it as a request error.
        assert!(only_queries(&mixed, Some("X")));
    }

    #[test]
    fn request_errors_answer_4xx_only_in_graphql_response_json() {
        let refused = || async_graphql::Response::from_errors(vec![async_graphql::ServerError::new("bad", None)]);
        let r = answer(refused(), Media::GraphQLResponse);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/graphql-response+json; charset=utf-8");
        let r = answer(refused(), Media::Json);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json; charset=utf-8");
        // An error raised while the request ran has a path: the request ran, 200.
        let mut e = async_graphql::ServerError::new("not allowed", None);
        e.path = vec![async_graphql::PathSegment::Field("me".into())];
        let r = answer(async_graphql::Response::from_errors(vec![e]), Media::GraphQLResponse);
        assert_eq!(r.status(), StatusCode::OK);
    }
}
