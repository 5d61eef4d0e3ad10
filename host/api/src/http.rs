//! The HTTP server: routes, limits, CORS, health and metrics.

use std::time::Duration;

use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use siso_app::App;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

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
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self { cors_origins: Vec::new(), max_body_bytes: 1024 * 1024, graphiql: true, auth: Default::default() }
    }
}

#[derive(Clone)]
struct AppState {
    app: App,
    auth: std::sync::Arc<auth::Authenticator>,
    schema: SisoSchema,
    graphiql: bool,
}

/// The whole HTTP application, with its authenticator (see [`auth::Authenticator::new`]).
pub fn router(app: App, auth: std::sync::Arc<auth::Authenticator>, cfg: &ApiConfig) -> Router {
    let state = AppState { app, auth, schema: build_schema(), graphiql: cfg.graphiql };
    let cors = cors(&cfg.cors_origins);
    Router::new()
        .route("/graphql", get(graphiql_page).post(graphql))
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

async fn graphql(State(s): State<AppState>, headers: HeaderMap, req: GraphQLRequest) -> Response {
    let mut req = req.into_inner();
    let gate = std::sync::Arc::new(loaders::PollGate::default());
    let mut logged = None;
    match s.auth.authenticate(&s.app, &headers).await {
        Ok(auth::Authenticated::Actor(actor)) => {
            let mut actor = *actor;
            actor.reads = Some(std::sync::Arc::new(siso_app::audit::ReadLog::default()));
            actor.purpose = purpose(&headers);
            logged = Some(actor.clone());
            let reader = s.app.reader(actor.clone());
            req = req.data(loaders::loaders(reader.clone(), gate.clone())).data(reader).data(actor);
        }
        Ok(auth::Authenticated::Anonymous) => {}
        Ok(auth::Authenticated::Refused(why)) => return unauthenticated(why),
        Err(e) => {
            let err = crate::errors::to_graphql_error(e);
            let r = async_graphql::Response::from_errors(vec![err.into_server_error(async_graphql::Pos::default())]);
            return GraphQLResponse::from(r).into_response();
        }
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
        return GraphQLResponse::from(r).into_response();
    }
    GraphQLResponse::from(response).into_response()
}

async fn graphiql_page(State(s): State<AppState>) -> Response {
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
    text.push_str(&denial_metrics(&s.app));
    text.push_str(&plugin_metrics(&s.app));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
