//! GraphQL over HTTP (axum): `POST /graphql` (JSON), `GET /graphql` (queries only),
//! content negotiation by `Accept`, body size limit, and `/health`.
//!
//! Follows the GraphQL over HTTP draft
//! (<https://graphql.github.io/graphql-over-http/draft/>) and passes every audit of
//! the `graphql-http` package (`tests/graphql_over_http.rs`).
//!
//! Only this module knows HTTP; everything else sees [`GraphQLRequest`] /
//! [`GraphQLResponse`].

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::response::{JsonMap, JsonValue};
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures::StreamExt;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::error::{ErrorCode, RequestError, ResponseMode, http_status};
use crate::gateway::{Gateway, GraphQLRequest, GraphQLResponse, RequestContext};
pub use tessera_graphql_http::negotiate;

/// The request header asking for the query plan in `extensions`.
pub const INCLUDE_QUERY_PLAN_HEADER: &str = "tessera-include-query-plan";

/// Why an HTTP request is not a GraphQL request.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("the request body is not valid JSON")]
    MalformedJson,
    #[error("the request body is not a GraphQL request: {0}")]
    NotGraphQL(&'static str),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("POST requests must have Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("POST requests must have a Content-Type header: application/json")]
    MissingContentType,
    #[error("the request body must be encoded in UTF-8")]
    UnsupportedCharset,
    #[error(
        "the Accept header allows no media type the router can answer with; accept application/graphql-response+json or application/json"
    )]
    NotAcceptable,
    #[error("only GET and POST are supported")]
    MethodNotAllowed,
    #[error("cannot read the request body")]
    Body,
    #[error("invalid query string: {0}")]
    QueryString(String),
    #[error("the headers passed on to subgraphs are larger than {0} bytes")]
    HeadersTooLarge(usize),
}

impl From<HttpError> for RequestError {
    fn from(error: HttpError) -> Self {
        let code = match error {
            HttpError::MalformedJson
            | HttpError::NotGraphQL(_)
            | HttpError::Body
            | HttpError::QueryString(_) => ErrorCode::InvalidRequest,
            HttpError::TooLarge(_) => ErrorCode::PayloadTooLarge,
            HttpError::UnsupportedMediaType
            | HttpError::MissingContentType
            | HttpError::UnsupportedCharset => ErrorCode::UnsupportedMediaType,
            HttpError::NotAcceptable => ErrorCode::NotAcceptable,
            HttpError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            HttpError::HeadersTooLarge(_) => ErrorCode::RequestHeadersTooLarge,
        };
        RequestError::new(code, error.to_string())
    }
}

/// The axum application for a gateway.
pub fn app(gateway: Arc<Gateway>) -> Router {
    let cors = cors_layer(&gateway.config().cors);
    let router = Router::new()
        .route("/graphql", any(graphql))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(crate::playground::routes());
    let router = gateway
        .config()
        .static_files
        .iter()
        .fold(router, |router, mount| {
            router.nest_service(mount.path.trim_end_matches('/'), static_files(&mount.dir))
        })
        .with_state(gateway);
    match cors {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

/// Paths the router answers itself: a static mount may not hide them.
const OWN_PATHS: [&str; 4] = ["/graphql", "/health", "/ready", "/metrics"];

/// Refuses `static_files` mounts that cannot work: a path that is not
/// absolute, the root (the playground), one of the router's own paths, two
/// mounts at one path, or a directory that is not there.
pub(crate) fn check_static_files(mounts: &[crate::config::StaticFiles]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for mount in mounts {
        let path = mount.path.trim_end_matches('/');
        if !mount.path.starts_with('/') || path.is_empty() || path.contains(['?', '#', '*', '{']) {
            return Err(format!(
                "path {:?} must be an absolute path below /, e.g. /store",
                mount.path
            ));
        }
        if OWN_PATHS
            .iter()
            .any(|own| path == *own || path.starts_with(&format!("{own}/")))
        {
            return Err(format!("path {:?} is the router's own", mount.path));
        }
        if !seen.insert(path.to_owned()) {
            return Err(format!("path {:?} is mounted twice", mount.path));
        }
        if !mount.dir.is_dir() {
            return Err(format!(
                "{} (for {}) is not a directory",
                mount.dir.display(),
                mount.path
            ));
        }
    }
    Ok(())
}

/// A static export served from `dir`: `index.html` for directories, the
/// export's `404.html` (status 404) for anything missing, no directory
/// listings, nothing outside `dir` (`ServeDir` refuses `..`).
fn static_files(
    dir: &std::path::Path,
) -> tower_http::services::ServeDir<
    tower_http::set_status::SetStatus<tower_http::services::ServeFile>,
> {
    tower_http::services::ServeDir::new(dir)
        .append_index_html_on_directories(true)
        .not_found_service(tower_http::services::ServeFile::new(dir.join("404.html")))
}

/// The CORS layer for `config`, or none when no origin is allowed.
fn cors_layer(config: &crate::config::CorsConfig) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if config.allow_origins.is_empty() {
        return None;
    }
    let origin = if config.allow_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            config
                .allow_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        )
    };
    let mut headers = vec![
        header::CONTENT_TYPE,
        header::AUTHORIZATION,
        header::ACCEPT,
        http::HeaderName::from_static(INCLUDE_QUERY_PLAN_HEADER),
    ];
    headers.extend(
        config
            .allow_headers
            .iter()
            .filter_map(|h| http::HeaderName::from_bytes(h.as_bytes()).ok()),
    );
    Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(headers)
            .max_age(std::time::Duration::from_secs(3600)),
    )
}

async fn health() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"pass"}"#,
    )
}

/// 200 while the router takes new work; 503 once it drains for shutdown.
async fn ready(State(gateway): State<Arc<Gateway>>) -> impl IntoResponse {
    let (status, body) = if gateway.is_ready() {
        (StatusCode::OK, r#"{"status":"ready"}"#)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"draining"}"#)
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

/// Prometheus text exposition; 404 when `metrics` is off in the config.
async fn metrics(State(gateway): State<Arc<Gateway>>) -> Response {
    if !gateway.config().metrics {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        gateway.metrics().render(),
    )
        .into_response()
}

async fn graphql(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let negotiated = negotiate(request.headers());
    // A 406 body cannot be in a type the client accepts; use the default.
    let mode = negotiated.unwrap_or(ResponseMode::Json);
    let include_plan = request
        .headers()
        .get(INCLUDE_QUERY_PLAN_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let is_get = request.method() == Method::GET;
    let mut forward_headers = forwarded(request.headers(), &gateway.config().headers.propagate);
    let max_body = gateway.config().limits.max_body_bytes;
    // One client's oversized header must not reach a connection that other
    // clients' requests share (a subgraph may answer it by resetting the whole
    // HTTP/2 connection): refuse it here.
    let max_headers = gateway.config().limits.max_forwarded_header_bytes;
    let header_bytes = |headers: &[(http::HeaderName, HeaderValue)]| -> usize {
        headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum()
    };
    let checked = match *request.method() {
        _ if header_bytes(&forward_headers) > max_headers => {
            Err(HttpError::HeadersTooLarge(max_headers).into())
        }
        Method::GET | Method::POST if negotiated.is_none() => Err(HttpError::NotAcceptable.into()),
        Method::GET | Method::POST => Ok(()),
        _ => Err(HttpError::MethodNotAllowed.into()),
    };
    // A token is verified before the body is even read: a bad one costs the
    // client a 401 and the router nothing more.
    let claims = match checked {
        Ok(()) => match gateway.authenticate(request.headers()).await {
            Ok(claims) => Ok(claims),
            // A refused token still counts against its sender's rate limit
            // (by peer): guessing tokens is limited like anything else.
            Err(error) => {
                let peer = request.extensions().get::<PeerAddr>().map(|p| p.0);
                Err(
                    match gateway.rate_limit(request.headers(), None, peer).await {
                        Err(limited) => limited,
                        Ok(_) => error,
                    },
                )
            }
        },
        Err(error) => Err(error),
    };
    let claims = claims.and_then(|claims| {
        gateway.forward_claims(&mut forward_headers, claims.as_deref());
        if header_bytes(&forward_headers) > max_headers {
            return Err(HttpError::HeadersTooLarge(max_headers).into());
        }
        if is_get {
            check_csrf(request.headers(), &gateway.config().csrf.required_headers)?;
        }
        Ok(claims)
    });
    let claims = match claims {
        Ok(claims) => {
            let peer = request.extensions().get::<PeerAddr>().map(|p| p.0);
            gateway
                .rate_limit(request.headers(), claims.as_deref(), peer)
                .await
                .map(|client| (claims, client))
        }
        Err(error) => Err(error),
    };
    let parsed: Result<(GraphQLRequest, _), RequestError> = match claims {
        Err(error) => Err(error),
        Ok(caller) if is_get => from_query_string(request.uri())
            .map(|r| (r, caller))
            .map_err(Into::into),
        Ok(caller) => from_post(request, max_body)
            .await
            .map(|r| (r, caller))
            .map_err(Into::into),
    };
    let response = match parsed {
        Ok((graphql_request, (claims, client))) => {
            let ctx = RequestContext {
                read_only: is_get,
                include_plan,
                forward_headers,
                claims,
                client,
            };
            gateway.handle(graphql_request, ctx).await
        }
        Err(error) => GraphQLResponse::from_request_error(error),
    };
    let rendered = render(&response, mode, is_get);
    gateway
        .metrics()
        .request(rendered.status().as_u16(), started.elapsed());
    rendered
}

/// The TCP peer of a request, set per connection by the accept loop.
pub use tessera_graphql_http::server::PeerAddr;

/// `csrf.required_headers`: a GET must carry one of them (a page on another
/// origin cannot set any without a CORS preflight).
fn check_csrf(headers: &HeaderMap, required: &[String]) -> Result<(), RequestError> {
    if required.is_empty()
        || required
            .iter()
            .any(|name| headers.contains_key(name.as_str()))
    {
        return Ok(());
    }
    Err(RequestError::new(
        ErrorCode::CsrfPreventionRequired,
        format!(
            "this GET request must carry one of these headers (CSRF prevention): {}",
            required.join(", ")
        ),
    ))
}

/// The client headers named in `names` (config `headers.propagate`).
fn forwarded(headers: &HeaderMap, names: &[String]) -> Vec<(http::HeaderName, HeaderValue)> {
    names
        .iter()
        .filter_map(|name| http::HeaderName::from_bytes(name.as_bytes()).ok())
        .flat_map(|name| {
            headers
                .get_all(&name)
                .iter()
                .map(|v| (name.clone(), v.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The HTTP response for `response` in `mode`. `is_get` picks the `Allow` header of
/// a 405: a mutation over GET may be sent again over POST.
fn render(response: &GraphQLResponse, mode: ResponseMode, is_get: bool) -> Response {
    let status = match response.request_error() {
        Some(code) => http_status(code, mode),
        None => StatusCode::OK,
    };
    let body = response.to_bytes();
    let mut http_response = (status, Body::from(body)).into_response();
    let headers = http_response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mode.content_type()),
    );
    // The body's media type depends on `Accept` (caches must key on it).
    headers.append(header::VARY, HeaderValue::from_static("accept"));
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6750 §3: which scheme the client must authenticate with.
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        && let Some(seconds) = response
            .errors
            .first()
            .and_then(|e| e.extensions.get("retryAfter"))
            .and_then(|v| v.as_u64())
    {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let allow = if is_get { "POST" } else { "GET, POST" };
        headers.insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    http_response
}

fn from_query_string(uri: &http::Uri) -> Result<GraphQLRequest, HttpError> {
    let Query(params) = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map_err(|e| HttpError::QueryString(e.body_text()))?;
    let parse_object = |name: &str| -> Result<JsonMap, HttpError> {
        match params.get(name) {
            None => Ok(JsonMap::new()),
            Some(text) if text.trim().is_empty() => Ok(JsonMap::new()),
            Some(text) => match serde_json::from_str::<JsonValue>(text) {
                Ok(JsonValue::Object(map)) => Ok(map),
                Ok(JsonValue::Null) => Ok(JsonMap::new()),
                Ok(_) => Err(HttpError::NotGraphQL(
                    "`variables`/`extensions` must be objects",
                )),
                Err(_) => Err(HttpError::MalformedJson),
            },
        }
    };
    Ok(GraphQLRequest {
        document_id: params
            .get("documentId")
            .filter(|id| !id.is_empty())
            .cloned(),
        query: params.get("query").cloned(),
        operation_name: params
            .get("operationName")
            .filter(|n| !n.is_empty())
            .cloned(),
        variables: parse_object("variables")?,
        extensions: parse_object("extensions")?,
    })
}

async fn from_post(request: Request, max_body: usize) -> Result<GraphQLRequest, HttpError> {
    check_content_type(request.headers().get(header::CONTENT_TYPE))?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max_body) {
        return Err(HttpError::TooLarge(max_body));
    }
    let mut stream = request.into_body().into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| HttpError::Body)?;
        if bytes.len() + chunk.len() > max_body {
            return Err(HttpError::TooLarge(max_body));
        }
        bytes.extend_from_slice(&chunk);
    }
    parse_body(&bytes)
}

/// GraphQL over HTTP §"POST": a POST without `Content-Type` SHOULD get a 4xx; the
/// body must be `application/json` (the router also takes
/// `application/graphql-response+json`) in UTF-8, assumed when no charset is given.
fn check_content_type(value: Option<&HeaderValue>) -> Result<(), HttpError> {
    let value = value.ok_or(HttpError::MissingContentType)?;
    let value = value
        .to_str()
        .map_err(|_| HttpError::UnsupportedMediaType)?;
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json")
        && !media.eq_ignore_ascii_case("application/graphql-response+json")
    {
        return Err(HttpError::UnsupportedMediaType);
    }
    for parameter in parts {
        if let Some((name, value)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
        {
            let charset = value.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
                return Err(HttpError::UnsupportedCharset);
            }
        }
    }
    Ok(())
}

/// Parses a POST body (GraphQL over HTTP §"POST request").
pub fn parse_body(bytes: &[u8]) -> Result<GraphQLRequest, HttpError> {
    let value: JsonValue = serde_json::from_slice(bytes).map_err(|_| HttpError::MalformedJson)?;
    let mut object = match value {
        JsonValue::Object(object) => object,
        JsonValue::Array(_) => {
            return Err(HttpError::NotGraphQL("batched requests are not supported"));
        }
        _ => return Err(HttpError::NotGraphQL("expected a JSON object")),
    };
    let query = match object.remove("query") {
        None | Some(JsonValue::Null) => None,
        Some(JsonValue::String(q)) => Some(q.as_str().to_string()),
        Some(_) => return Err(HttpError::NotGraphQL("`query` must be a string")),
    };
    let operation_name = match object.remove("operationName") {
        None | Some(JsonValue::Null) => None,
        Some(JsonValue::String(n)) => Some(n.as_str().to_string()),
        Some(_) => return Err(HttpError::NotGraphQL("`operationName` must be a string")),
    };
    let mut object_field = |name: &str| match object.remove(name) {
        None | Some(JsonValue::Null) => Ok(JsonMap::new()),
        Some(JsonValue::Object(map)) => Ok(map),
        Some(_) => Err(HttpError::NotGraphQL(
            "`variables` and `extensions` must be objects",
        )),
    };
    let variables = object_field("variables")?;
    let extensions = object_field("extensions")?;
    let document_id = match object.remove("documentId") {
        None | Some(JsonValue::Null) => None,
        Some(JsonValue::String(id)) => Some(id.as_str().to_string()),
        Some(_) => return Err(HttpError::NotGraphQL("`documentId` must be a string")),
    };
    if query.is_none() && document_id.is_none() && extensions.is_empty() {
        return Err(HttpError::NotGraphQL("missing `query`"));
    }
    Ok(GraphQLRequest {
        document_id,
        query,
        operation_name,
        variables,
        extensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_the_request_content_type() {
        let check = |v: &'static str| check_content_type(Some(&HeaderValue::from_static(v)));
        assert!(matches!(
            check_content_type(None),
            Err(HttpError::MissingContentType)
        ));
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/graphql-response+json",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        assert!(matches!(
            check("application/json; charset=utf-16"),
            Err(HttpError::UnsupportedCharset)
        ));
        for bad in ["text/plain", "application/graphql", "", "application/jsonx"] {
            assert!(
                matches!(check(bad), Err(HttpError::UnsupportedMediaType)),
                "{bad}"
            );
        }
    }

    #[test]
    fn parses_post_bodies_and_rejects_non_graphql_ones() {
        let ok = parse_body(br#"{"query":"{ a }","operationName":null,"variables":{"x":1}}"#)
            .expect("ok");
        assert_eq!(ok.query.as_deref(), Some("{ a }"));
        assert_eq!(ok.variables.len(), 1);
        assert!(matches!(
            parse_body(b"{nope"),
            Err(HttpError::MalformedJson)
        ));
        assert!(matches!(parse_body(b"[]"), Err(HttpError::NotGraphQL(_))));
        assert!(matches!(
            parse_body(br#"{"foo":1}"#),
            Err(HttpError::NotGraphQL(_))
        ));
        assert!(matches!(
            parse_body(br#"{"query":1}"#),
            Err(HttpError::NotGraphQL(_))
        ));
        assert!(matches!(
            parse_body(br#"{"query":"{a}","variables":[]}"#),
            Err(HttpError::NotGraphQL(_))
        ));
    }
}
