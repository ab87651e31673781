//! The GraphiQL playground at `/`, its assets embedded in the binary at build
//! time (see `build.rs`), so it works offline. When the build had no npm, `/`
//! serves a small page that says how to get the full playground and can still
//! send queries.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

const JS: &str = include_str!(concat!(env!("OUT_DIR"), "/playground.js"));
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/playground.css"));
const MISSING: &str = include_str!(concat!(env!("OUT_DIR"), "/playground-missing.txt"));

/// Whether this binary carries the full GraphiQL bundle.
pub fn is_bundled() -> bool {
    MISSING.is_empty() && !JS.is_empty()
}

/// `/` (the page) and `/playground/*` (its assets).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/playground/playground.js", get(js))
        .route("/playground/playground.css", get(css))
}

async fn page() -> Html<String> {
    Html(if is_bundled() {
        full_page()
    } else {
        fallback_page()
    })
}

fn full_page() -> String {
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tessera playground</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<link rel=\"stylesheet\" href=\"playground/playground.css\">\
<style>html,body,#graphiql{height:100%;margin:0}</style></head>\
<body><div id=\"graphiql\">Loading the playground…</div>\
<script src=\"playground/playground.js\"></script></body></html>\n"
        .to_owned()
}

fn fallback_page() -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tessera playground (minimal)</title>\
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}textarea{{width:100%;height:12rem;font-family:monospace}}pre{{background:#f4f4f4;padding:1rem;overflow:auto}}</style></head>\
<body><h1>Tessera</h1>\
<p>This router was built without the GraphiQL bundle ({reason}). To get the full playground, install Node.js with npm \
and rebuild (<code>cargo build</code>): the build bundles GraphiQL from npm and embeds it in the binary.</p>\
<p>Meanwhile, send a query to <code>/graphql</code>:</p>\
<textarea id=\"q\">{{ __typename }}</textarea><p><button id=\"run\">Run</button></p><pre id=\"out\"></pre>\
<script>document.getElementById('run').onclick=async()=>{{const r=await fetch('graphql',{{method:'POST',headers:{{'content-type':'application/json'}},body:JSON.stringify({{query:document.getElementById('q').value}})}});document.getElementById('out').textContent=JSON.stringify(await r.json(),null,2)}}</script>\
</body></html>\n",
        reason = html_escape(if MISSING.is_empty() {
            "no bundle"
        } else {
            MISSING
        })
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_page_explains_and_escapes() {
        let page = fallback_page();
        assert!(page.contains("install Node.js with npm"));
        assert!(!html_escape("<x>").contains('<'));
    }
}
