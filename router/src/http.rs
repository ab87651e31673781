//! GraphQL over HTTP (axum): `POST /graphql` (JSON), `GET /graphql` (queries only),
//! content negotiation by `Accept`, body size limit, and `/health`.
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
    #[error("only GET and POST are supported")]
    MethodNotAllowed,
    #[error("cannot read the request body")]
    Body,
    #[error("invalid query string: {0}")]
    QueryString(String),
}

impl From<HttpError> for RequestError {
    fn from(error: HttpError) -> Self {
        let code = match error {
            HttpError::MalformedJson
            | HttpError::NotGraphQL(_)
            | HttpError::Body
            | HttpError::QueryString(_) => ErrorCode::InvalidRequest,
            HttpError::TooLarge(_) => ErrorCode::PayloadTooLarge,
            HttpError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            HttpError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
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
        .merge(crate::playground::routes())
        .with_state(gateway);
    match cors {
        Some(layer) => router.layer(layer),
        None => router,
    }
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

async fn graphql(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let mode = negotiate(request.headers());
    let include_plan = request
        .headers()
        .get(INCLUDE_QUERY_PLAN_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let is_get = request.method() == Method::GET;
    let forward_headers = forwarded(request.headers(), &gateway.config().headers.propagate);
    let max_body = gateway.config().limits.max_body_bytes;
    let parsed = match *request.method() {
        Method::GET => from_query_string(request.uri()),
        Method::POST => from_post(request, max_body).await,
        _ => Err(HttpError::MethodNotAllowed),
    };
    let response = match parsed {
        Ok(graphql_request) => {
            let ctx = RequestContext {
                is_get,
                include_plan,
                forward_headers,
            };
            gateway.handle(graphql_request, ctx).await
        }
        Err(error) => GraphQLResponse::from_request_error(error.into()),
    };
    render(&response, mode)
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

/// Picks the response media type from `Accept` (first supported range wins;
/// no or wildcard `Accept` gets `application/json`).
pub fn negotiate(headers: &HeaderMap) -> ResponseMode {
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let media = range.split(';').next().unwrap_or("").trim();
            if media.eq_ignore_ascii_case("application/graphql-response+json") {
                return ResponseMode::GraphQLResponseJson;
            }
            if media.eq_ignore_ascii_case("application/json") {
                return ResponseMode::Json;
            }
        }
    }
    ResponseMode::Json
}

fn render(response: &GraphQLResponse, mode: ResponseMode) -> Response {
    let status = match response.request_error {
        Some(code) => http_status(code, mode),
        None => StatusCode::OK,
    };
    let body = serde_json::to_vec(response).unwrap_or_else(|_| {
        br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#
            .to_vec()
    });
    let mut http_response = (status, Body::from(body)).into_response();
    http_response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mode.content_type()),
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        http_response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
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
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        Some("application/json") | Some("application/graphql-response+json") | None => {}
        Some(_) => return Err(HttpError::UnsupportedMediaType),
    }
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
    if query.is_none() && extensions.is_empty() {
        return Err(HttpError::NotGraphQL("missing `query`"));
    }
    Ok(GraphQLRequest {
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
    fn negotiates_the_response_media_type() {
        let mut headers = HeaderMap::new();
        assert_eq!(negotiate(&headers), ResponseMode::Json);
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/graphql-response+json, application/json;q=0.9"),
        );
        assert_eq!(negotiate(&headers), ResponseMode::GraphQLResponseJson);
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert_eq!(negotiate(&headers), ResponseMode::Json);
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
