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
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self { cors_origins: Vec::new(), max_body_bytes: 1024 * 1024, graphiql: true }
    }
}

#[derive(Clone)]
struct AppState {
    app: App,
    schema: SisoSchema,
    graphiql: bool,
}

/// The whole HTTP application.
pub fn router(app: App, cfg: &ApiConfig) -> Router {
    let state = AppState { app, schema: build_schema(), graphiql: cfg.graphiql };
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
        ])
        .max_age(Duration::from_secs(3600));
    if origins.iter().any(|o| o == "*") {
        base.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        base.allow_origin(AllowOrigin::list(list))
    }
}

async fn graphql(State(s): State<AppState>, headers: HeaderMap, req: GraphQLRequest) -> GraphQLResponse {
    let mut req = req.into_inner();
    let gate = std::sync::Arc::new(loaders::PollGate::default());
    match auth::actor_from_headers(&s.app, &headers).await {
        Ok(Some(actor)) => {
            req = req.data(loaders::loaders(s.app.clone(), actor.clone(), gate.clone())).data(actor);
        }
        Ok(None) => {}
        Err(e) => {
            let err = crate::errors::to_graphql_error(e);
            return async_graphql::Response::from_errors(vec![err.into_server_error(async_graphql::Pos::default())])
                .into();
        }
    }
    req = req.data(s.app.clone());
    loaders::Gated::new(Box::pin(s.schema.execute(req)), gate).await.into()
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
    let store = s.app.store();
    let db = store.ping().await.is_ok();
    let pending = if db { store.pending_migrations().await.ok() } else { None };
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
    let _ = writeln!(out, "# HELP siso_plugin_quarantined Whether a plug-in in service is quarantined (1) or not (0).");
    let _ = writeln!(out, "# TYPE siso_plugin_quarantined gauge");
    for a in &snap.active {
        let q = u8::from(quarantined.contains_key(&a.plugin_id));
        let _ = writeln!(out, "siso_plugin_quarantined{{plugin=\"{}\"}} {q}", a.plugin.label());
    }
    out
}

async fn metrics(State(s): State<AppState>) -> Response {
    let counter = s.app.store().sql_counter();
    let (statements, background) = (counter.get(), counter.background());
    let text = format!(
        "# HELP siso_sql_statements_total SQL statements executed since start for requests and commands.\n\
         # TYPE siso_sql_statements_total counter\n\
         siso_sql_statements_total {statements}\n\
         # HELP siso_sql_background_statements_total SQL statements executed since start by background polls.\n\
         # TYPE siso_sql_background_statements_total counter\n\
         siso_sql_background_statements_total {background}\n"
    );
    let text = text + &plugin_metrics(&s.app);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
