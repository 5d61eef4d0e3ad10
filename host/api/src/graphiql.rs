//! Self-hosted GraphiQL IDE.
//!
//! async-graphql's built-in GraphiQL page loads React and GraphiQL from a
//! public CDN, which does not work on networks without internet access. This
//! module serves the same IDE entirely from this server:
//!
//! * [`routes`] serves the JavaScript/CSS assets under `/graphiql/`. The files
//!   are embedded into the binary at compile time; `build.rs` obtains them
//!   from the npm packages pinned in `graphiql/package-lock.json` (graphiql,
//!   react, react-dom), so nothing is fetched at run time.
//! * [`page`] renders the HTML page that loads those assets and starts
//!   GraphiQL against a given endpoint. The page contains no external URLs.
//!
//! Typical wiring (GraphiQL on `GET /graphql`, queries on `POST /graphql`):
//!
//! ```ignore
//! use axum::{Router, routing::get};
//!
//! let app: Router<AppState> = Router::new()
//!     .route(
//!         "/graphql",
//!         get(|| async { graphiql::page("/graphql") }).post(graphql_handler),
//!     )
//!     .merge(graphiql::routes());
//! ```

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// URL path of the React UMD bundle.
pub const REACT_JS_PATH: &str = "/graphiql/react.js";
/// URL path of the ReactDOM UMD bundle.
pub const REACT_DOM_JS_PATH: &str = "/graphiql/react-dom.js";
/// URL path of the GraphiQL UMD bundle.
pub const GRAPHIQL_JS_PATH: &str = "/graphiql/graphiql.js";
/// URL path of the GraphiQL stylesheet.
pub const GRAPHIQL_CSS_PATH: &str = "/graphiql/graphiql.css";

/// `react/umd/react.production.min.js`, installed by `build.rs`.
static REACT_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/graphiql-assets/react.js"));
/// `react-dom/umd/react-dom.production.min.js`, installed by `build.rs`.
static REACT_DOM_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/graphiql-assets/react-dom.js"));
/// `graphiql/graphiql.min.js`, installed by `build.rs`.
static GRAPHIQL_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/graphiql-assets/graphiql.js"));
/// `graphiql/graphiql.min.css`, installed by `build.rs`.
static GRAPHIQL_CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/graphiql-assets/graphiql.css"));

/// `Content-Type` of the JavaScript assets.
const JS_CONTENT_TYPE: &str = "text/javascript; charset=utf-8";
/// `Content-Type` of the stylesheet.
const CSS_CONTENT_TYPE: &str = "text/css; charset=utf-8";
/// `Cache-Control` of all assets (they only change with a new build).
const ASSET_CACHE_CONTROL: &str = "public, max-age=86400";

/// Routes serving the embedded GraphiQL assets:
/// `/graphiql/react.js`, `/graphiql/react-dom.js`, `/graphiql/graphiql.js`
/// and `/graphiql/graphiql.css` (all `GET`, cacheable for one day).
///
/// Generic over the router state so it can be merged into any
/// `Router<S>`; the handlers do not use the state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(REACT_JS_PATH, get(|| async { asset(JS_CONTENT_TYPE, REACT_JS) }))
        .route(REACT_DOM_JS_PATH, get(|| async { asset(JS_CONTENT_TYPE, REACT_DOM_JS) }))
        .route(GRAPHIQL_JS_PATH, get(|| async { asset(JS_CONTENT_TYPE, GRAPHIQL_JS) }))
        .route(GRAPHIQL_CSS_PATH, get(|| async { asset(CSS_CONTENT_TYPE, GRAPHIQL_CSS) }))
}

/// Builds the response for one embedded asset.
fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, ASSET_CACHE_CONTROL)], body).into_response()
}

/// The GraphiQL HTML page, titled "SISO GraphQL", sending its requests to
/// `endpoint` (e.g. `"/graphql"`; relative URLs resolve against the page).
///
/// The page only references the local assets served by [`routes`] (root
/// relative, e.g. `/graphiql/react.js`), so it works without internet
/// access. `endpoint` is embedded as a JSON string literal that is also safe
/// inside an HTML `<script>` element.
pub fn page(endpoint: &str) -> Html<String> {
    let endpoint = js_string_literal(endpoint);
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SISO GraphQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{GRAPHIQL_CSS_PATH}">
<style>
html, body {{ height: 100%; margin: 0; overflow: hidden; }}
#graphiql {{ height: 100vh; }}
</style>
<script src="{REACT_JS_PATH}"></script>
<script src="{REACT_DOM_JS_PATH}"></script>
<script src="{GRAPHIQL_JS_PATH}"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL&hellip;</div>
<noscript>GraphiQL requires JavaScript.</noscript>
<script>
(function () {{
  var fetcher = GraphiQL.createFetcher({{ url: {endpoint} }});
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {{ fetcher: fetcher }}));
}})();
</script>
</body>
</html>
"#
    ))
}

/// Serializes `value` as a JSON string literal (which is also a valid
/// JavaScript string literal) that can be placed inside an HTML `<script>`
/// element: besides the JSON escapes, `<`, `>`, `&`, `'`, U+2028 and U+2029
/// are written as `\uXXXX`, so the value can neither close the script
/// element nor break the surrounding code.
fn js_string_literal(value: &str) -> String {
    use std::fmt::Write as _;

    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || matches!(c, '<' | '>' | '&' | '\'' | '\u{2028}' | '\u{2029}') => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_no_external_urls() {
        let html = page("/graphql").0;
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("http://"), "{html}");
        assert!(!lower.contains("https://"), "{html}");
        assert!(!lower.contains("src=\"//"), "{html}");
        assert!(!lower.contains("href=\"//"), "{html}");
    }

    #[test]
    fn page_loads_local_assets_and_endpoint() {
        let html = page("/graphql").0;
        for path in [REACT_JS_PATH, REACT_DOM_JS_PATH, GRAPHIQL_JS_PATH, GRAPHIQL_CSS_PATH] {
            assert!(html.contains(&format!("\"{path}\"")), "missing {path}");
        }
        assert!(html.contains("<title>SISO GraphQL</title>"));
        assert!(html.contains(r#"GraphiQL.createFetcher({ url: "/graphql" })"#));
    }

    #[test]
    fn endpoint_cannot_break_out_of_script() {
        let html = page("</script><script>alert(1)</script>\"'\\\u{2028}").0;
        assert_eq!(html.matches("</script>").count(), 4, "{html}");
        assert!(html.contains(
            r#"{ url: "\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\"\u0027\\\u2028" }"#
        ));
    }

    #[test]
    fn js_string_literal_escapes_control_characters() {
        assert_eq!(js_string_literal("a\u{1}b\nc"), r#""a\u0001b\nc""#);
        assert_eq!(js_string_literal("héllo"), "\"héllo\"");
    }

    #[test]
    fn assets_are_embedded() {
        assert!(REACT_JS.len() > 1_000);
        assert!(REACT_DOM_JS.len() > 1_000);
        assert!(GRAPHIQL_JS.len() > 1_000);
        assert!(GRAPHIQL_CSS.len() > 1_000);
    }
}
