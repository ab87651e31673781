//! Calling subgraphs over HTTP: pooled keep-alive connections (reqwest), per-subgraph
//! URL and timeout, bounded response size, and sharing of identical in-flight
//! requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use apollo_compiler::response::JsonValue;

use super::store::Value;

use crate::metrics::{Metrics, Outcome, SubgraphMetrics};
use axum::body::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use crate::config::SubgraphsConfig;
use crate::error::ErrorCode;

/// Why a subgraph call produced no usable GraphQL response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("unknown subgraph {0:?}")]
    UnknownSubgraph(String),
    #[error("subgraph {0:?} has no URL")]
    NoUrl(String),
    #[error("request to subgraph {subgraph:?} failed: {reason}")]
    Request { subgraph: String, reason: String },
    #[error("subgraph {0:?} did not answer in time")]
    Timeout(String),
    #[error("subgraph {subgraph:?} answered with HTTP status {status}")]
    Http { subgraph: String, status: u16 },
    #[error("subgraph {subgraph:?} returned an invalid response: {reason}")]
    InvalidResponse { subgraph: String, reason: String },
}

impl FetchError {
    /// The client-visible code.
    pub fn code(&self) -> ErrorCode {
        match self {
            FetchError::UnknownSubgraph(_) | FetchError::NoUrl(_) | FetchError::Request { .. } => {
                ErrorCode::SubgraphRequestFailed
            }
            FetchError::Timeout(_) => ErrorCode::SubgraphTimeout,
            FetchError::Http { .. } => ErrorCode::SubgraphHttpError,
            FetchError::InvalidResponse { .. } => ErrorCode::SubgraphInvalidResponse,
        }
    }
}

/// A parsed subgraph GraphQL response.
#[derive(Debug, Clone, Default)]
pub struct SubgraphResponse {
    pub data: Option<Value>,
    pub errors: Vec<JsonValue>,
}

#[derive(Clone)]
struct Endpoint {
    /// The subgraph's name.
    name: Arc<str>,
    url: String,
    timeout: Duration,
    /// Counts this subgraph's calls, once the client has metrics.
    metrics: Option<SubgraphMetrics>,
    /// The pooled client for this subgraph (HTTP/1.1 + ALPN, or h2c) over TLS.
    http: reqwest::Client,
    /// For `http://` URLs: hyper's pooled clients and the URL parsed once
    /// (reqwest parses it and wraps every request in its own layers; plain
    /// HTTP needs none of them). One client per worker thread (see
    /// [`this_workers`]).
    plain: Option<(Arc<[PlainClient]>, http::Uri)>,
}

/// The plain-HTTP client of the worker thread this runs on (the first off a
/// worker): a thread-per-core worker's subgraph connections are its own,
/// driven by its own event loop, never woken from another core.
fn this_workers(clients: &[PlainClient]) -> Option<&PlainClient> {
    let worker = tessera_graphql_http::server::worker_index().unwrap_or(0);
    clients.get(worker % clients.len().max(1))
}

/// hyper's pooled client for plain-HTTP subgraphs.
type PlainClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<Bytes>,
>;

fn plain_client(http2_prior_knowledge: bool, connect_timeout: Duration) -> PlainClient {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(connect_timeout));
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .http2_only(http2_prior_knowledge)
        .build(connector)
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

type SharedFetch = Shared<BoxFuture<'static, Result<Arc<SubgraphResponse>, FetchError>>>;

/// An in-flight request's identity: the subgraph, the forwarded headers and
/// the body, hashed once (FxHash over the bytes) when the request is made; the
/// map compares the parts themselves only on a hash match.
#[derive(Clone)]
struct FlightKey {
    hash: u64,
    subgraph: Arc<str>,
    headers: Arc<[(http::HeaderName, http::HeaderValue)]>,
    body: Bytes,
}

impl FlightKey {
    fn new(
        subgraph: Arc<str>,
        headers: Arc<[(http::HeaderName, http::HeaderValue)]>,
        body: Bytes,
    ) -> FlightKey {
        use std::hash::Hasher;
        let mut hasher = rustc_hash::FxHasher::default();
        hasher.write(subgraph.as_bytes());
        hasher.write_u8(0xff);
        for (name, value) in headers.iter() {
            hasher.write(name.as_str().as_bytes());
            hasher.write_u8(0xfe);
            hasher.write(value.as_bytes());
            hasher.write_u8(0xff);
        }
        hasher.write(&body);
        FlightKey {
            hash: hasher.finish(),
            subgraph,
            headers,
            body,
        }
    }
}

impl std::hash::Hash for FlightKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for FlightKey {
    fn eq(&self, other: &FlightKey) -> bool {
        self.hash == other.hash
            && self.subgraph == other.subgraph
            && self.headers == other.headers
            && self.body == other.body
    }
}

impl Eq for FlightKey {}

/// A hasher for keys that are already hashes ([`FlightKey`]).
#[derive(Default)]
struct PrehashedHasher(u64);

impl std::hash::Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Prehashed = std::hash::BuildHasherDefault<PrehashedHasher>;

/// The subgraph HTTP client, shared by all requests.
pub struct SubgraphClient {
    endpoints: HashMap<String, Arc<Endpoint>>,
    deduplicate: bool,
    max_response_bytes: usize,
    /// Keyed by (subgraph, forwarded headers, body): requests of different
    /// callers (tokens) are never shared.
    in_flight: Arc<Mutex<HashMap<FlightKey, SharedFetch, Prehashed>>>,
    /// Recorded responses by (subgraph, request body), answered instead of
    /// HTTP (the benchmarks' in-process runs; never set by configuration).
    replay: Option<HashMap<(String, Bytes), Bytes>>,
}

impl std::fmt::Debug for SubgraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubgraphClient")
            .field("endpoints", &self.endpoints)
            .finish()
    }
}

impl SubgraphClient {
    /// `subgraphs`: `(name, url from the supergraph)`; config overrides
    /// apply. For callers on one (shared) runtime.
    pub fn new(
        subgraphs: impl IntoIterator<Item = (String, String)>,
        config: &SubgraphsConfig,
    ) -> Result<Self, reqwest::Error> {
        Self::for_workers(subgraphs, config, 1)
    }

    /// [`SubgraphClient::new`] for `workers` thread-per-core worker threads:
    /// each gets plain-HTTP connection pools of its own.
    pub fn for_workers(
        subgraphs: impl IntoIterator<Item = (String, String)>,
        config: &SubgraphsConfig,
        workers: usize,
    ) -> Result<Self, reqwest::Error> {
        let builder = || {
            reqwest::Client::builder()
                .tcp_nodelay(true)
                .pool_idle_timeout(Duration::from_secs(90))
                .connect_timeout(Duration::from_millis(config.timeout_ms.min(10_000)))
        };
        let http1 = builder().build()?;
        let h2c = builder().http2_prior_knowledge().build()?;
        let connect_timeout = Duration::from_millis(config.timeout_ms.min(10_000));
        let pools = |http2| -> Arc<[PlainClient]> {
            (0..workers.max(1))
                .map(|_| plain_client(http2, connect_timeout))
                .collect()
        };
        let plain1 = pools(false);
        let plain2 = pools(true);
        let endpoints = subgraphs
            .into_iter()
            .map(|(name, url)| {
                let overrides = config.overrides.get(&name);
                let url = overrides.and_then(|o| o.url.clone()).unwrap_or(url);
                let plain_uri = url
                    .starts_with("http://")
                    .then(|| url.parse::<http::Uri>().ok())
                    .flatten();
                let timeout_ms = overrides
                    .and_then(|o| o.timeout_ms)
                    .unwrap_or(config.timeout_ms);
                let prior_knowledge = overrides
                    .and_then(|o| o.http2_prior_knowledge)
                    .unwrap_or(config.http2_prior_knowledge)
                    && url.starts_with("http://");
                (
                    name.clone(),
                    Arc::new(Endpoint {
                        name: Arc::from(name),
                        url,
                        timeout: Duration::from_millis(timeout_ms),
                        metrics: None,
                        http: if prior_knowledge {
                            h2c.clone()
                        } else {
                            http1.clone()
                        },
                        plain: plain_uri.map(|uri| {
                            let client = if prior_knowledge {
                                plain2.clone()
                            } else {
                                plain1.clone()
                            };
                            (client, uri)
                        }),
                    }),
                )
            })
            .collect();
        Ok(SubgraphClient {
            endpoints,
            deduplicate: config.deduplicate_requests,
            max_response_bytes: config.max_response_bytes,
            in_flight: Arc::default(),
            replay: None,
        })
    }

    /// Answers every call from `recorded` (`(subgraph, request body, response
    /// body)`) instead of over HTTP; a request not recorded fails. For
    /// benchmarks that measure the router without the network.
    pub fn replaying(mut self, recorded: Vec<(String, Vec<u8>, Vec<u8>)>) -> Self {
        self.replay = Some(
            recorded
                .into_iter()
                .map(|(subgraph, request, response)| {
                    ((subgraph, Bytes::from(request)), Bytes::from(response))
                })
                .collect(),
        );
        self
    }

    /// Counts every HTTP call to a subgraph in `metrics`.
    pub fn with_metrics(mut self, metrics: &Metrics) -> Self {
        for (name, endpoint) in &mut self.endpoints {
            Arc::make_mut(endpoint).metrics = Some(metrics.subgraph(name));
        }
        self
    }

    /// The URL used for `subgraph`.
    pub fn url(&self, subgraph: &str) -> Option<&str> {
        self.endpoints.get(subgraph).map(|e| e.url.as_str())
    }

    /// POSTs `body` (a GraphQL request as JSON) to `subgraph`. When `shareable` and
    /// deduplication is on, identical concurrent calls share one HTTP request.
    pub async fn fetch(
        &self,
        subgraph: &str,
        body: Vec<u8>,
        shareable: bool,
        headers: &[(http::HeaderName, http::HeaderValue)],
    ) -> Result<Arc<SubgraphResponse>, FetchError> {
        let endpoint = self
            .endpoints
            .get(subgraph)
            .ok_or_else(|| FetchError::UnknownSubgraph(subgraph.to_string()))?;
        if endpoint.url.is_empty() {
            return Err(FetchError::NoUrl(subgraph.to_string()));
        }
        // Shared (not copied) between the request and the deduplication key.
        let body = Bytes::from(body);
        if let Some(replay) = &self.replay {
            return match replay.get(&(subgraph.to_string(), body)) {
                Some(response) => parse_response(response).map(Arc::new).map_err(|reason| {
                    FetchError::InvalidResponse {
                        subgraph: subgraph.to_string(),
                        reason,
                    }
                }),
                None => Err(FetchError::Request {
                    subgraph: subgraph.to_string(),
                    reason: "no recorded response".into(),
                }),
            };
        }
        let headers: Arc<[(http::HeaderName, http::HeaderValue)]> = Arc::from(headers);
        let call = send(
            endpoint.clone(),
            body.clone(),
            headers.clone(),
            self.max_response_bytes,
            // Only queries are sent again (a mutation might have run).
            shareable,
        );
        if !(shareable && self.deduplicate) {
            return call.await;
        }
        let key = FlightKey::new(endpoint.name.clone(), headers, body);
        let shared = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            in_flight
                .entry(key.clone())
                .or_insert_with(|| {
                    // The call runs as a task of its own, which removes its
                    // entry once the response is in (no later caller joins a
                    // finished call) and carries on if its callers go away.
                    // Spawned on a thread-per-core worker (a current-thread
                    // runtime), it starts after the tasks already scheduled
                    // there: when a shared fetch wakes its callers together,
                    // they are usually on their way to this same fetch and
                    // join it instead of each sending its own a moment after
                    // it was sent. (On the shared multi-thread runtime
                    // tokio's LIFO slot runs it next instead.)
                    let flights = Arc::clone(&self.in_flight);
                    let task = tokio::spawn(async move {
                        let result = call.await;
                        flights
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .remove(&key);
                        result
                    });
                    let subgraph = subgraph.to_string();
                    async move {
                        task.await.unwrap_or_else(|_| {
                            Err(FetchError::Request {
                                subgraph,
                                reason: "the request was cancelled".into(),
                            })
                        })
                    }
                    .boxed()
                    .shared()
                })
                .clone()
        };
        shared.await
    }
}

async fn send(
    endpoint: Arc<Endpoint>,
    body: Bytes,
    headers: Arc<[(http::HeaderName, http::HeaderValue)]>,
    max_bytes: usize,
    idempotent: bool,
) -> Result<Arc<SubgraphResponse>, FetchError> {
    let started = std::time::Instant::now();
    let http = &endpoint.http;
    let subgraph: &str = &endpoint.name;
    let request = async {
        let plain = endpoint
            .plain
            .as_ref()
            .and_then(|(clients, uri)| Some((this_workers(clients)?, uri)));
        let (status, bytes) = match plain {
            Some((client, uri)) => {
                post_plain(
                    client, uri, &body, &headers, max_bytes, idempotent, subgraph,
                )
                .await?
            }
            None => {
                post_tls(
                    http,
                    &endpoint.url,
                    &body,
                    &headers,
                    max_bytes,
                    idempotent,
                    subgraph,
                )
                .await?
            }
        };
        match parse_response(&bytes) {
            Ok(parsed) => Ok(Arc::new(parsed)),
            Err(_) if !status.is_success() => Err(FetchError::Http {
                subgraph: subgraph.to_string(),
                status: status.as_u16(),
            }),
            Err(reason) => Err(FetchError::InvalidResponse {
                subgraph: subgraph.to_string(),
                reason,
            }),
        }
    };
    let result = match tokio::time::timeout(endpoint.timeout, request).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(subgraph.to_string())),
    };
    if let Some(metrics) = &endpoint.metrics {
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(FetchError::Timeout(_)) => Outcome::Timeout,
            Err(_) => Outcome::Error,
        };
        metrics.call(outcome, started.elapsed());
    }
    result
}

const ACCEPT: &str = "application/graphql-response+json, application/json;q=0.9";

/// Appends a chunk of a response body, refusing bodies past `max_bytes`.
fn append_chunk(
    bytes: &mut Vec<u8>,
    chunk: &[u8],
    max_bytes: usize,
    subgraph: &str,
) -> Result<(), FetchError> {
    if bytes.len() + chunk.len() > max_bytes {
        return Err(FetchError::InvalidResponse {
            subgraph: subgraph.to_string(),
            reason: format!("response larger than {max_bytes} bytes"),
        });
    }
    bytes.extend_from_slice(chunk);
    Ok(())
}

/// POSTs `body` with reqwest (TLS subgraphs); the status and the whole body.
async fn post_tls(
    http: &reqwest::Client,
    url: &str,
    body: &Bytes,
    headers: &[(http::HeaderName, http::HeaderValue)],
    max_bytes: usize,
    idempotent: bool,
    subgraph: &str,
) -> Result<(http::StatusCode, Vec<u8>), FetchError> {
    let attempt = || {
        let mut builder = http.post(url);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        builder
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, ACCEPT)
            .body(body.clone())
            .send()
    };
    // A connection that fails under a request (reset, closed, an HTTP/2
    // GOAWAY caused by another request sharing it) fails every request
    // in flight on it: a query is sent once more, on a fresh connection,
    // so one client's failure does not become another's.
    let sent = match attempt().await {
        Err(error) if idempotent && !error.is_timeout() && !error.is_connect() => attempt().await,
        other => other,
    };
    let failed = |e: reqwest::Error| FetchError::Request {
        subgraph: subgraph.to_string(),
        reason: describe(&e),
    };
    let mut response = sent.map_err(failed)?;
    let status = response.status();
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        append_chunk(&mut bytes, &chunk, max_bytes, subgraph)?;
    }
    Ok((status, bytes))
}

/// POSTs `body` with hyper (plain-HTTP subgraphs); the status and the whole
/// body. The same retry rule as [`post_tls`].
async fn post_plain(
    client: &PlainClient,
    uri: &http::Uri,
    body: &Bytes,
    headers: &[(http::HeaderName, http::HeaderValue)],
    max_bytes: usize,
    idempotent: bool,
    subgraph: &str,
) -> Result<(http::StatusCode, Vec<u8>), FetchError> {
    use http_body_util::BodyExt;
    let attempt = || {
        let mut request = http::Request::new(http_body_util::Full::new(body.clone()));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = uri.clone();
        let map = request.headers_mut();
        for (name, value) in headers {
            map.append(name.clone(), value.clone());
        }
        map.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        map.insert(http::header::ACCEPT, http::HeaderValue::from_static(ACCEPT));
        client.request(request)
    };
    let sent = match attempt().await {
        Err(error) if idempotent && !error.is_connect() => attempt().await,
        other => other,
    };
    let response = sent.map_err(|e| FetchError::Request {
        subgraph: subgraph.to_string(),
        reason: if e.is_connect() {
            "connection failed".into()
        } else {
            "transport error".into()
        },
    })?;
    let status = response.status();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| FetchError::Request {
            subgraph: subgraph.to_string(),
            reason: "broken response body".into(),
        })?;
        if let Ok(chunk) = frame.into_data() {
            append_chunk(&mut bytes, &chunk, max_bytes, subgraph)?;
        }
    }
    Ok((status, bytes))
}

/// A short, non-leaky description of a transport error.
fn describe(error: &reqwest::Error) -> String {
    if error.is_connect() {
        "connection failed".into()
    } else if error.is_timeout() {
        "timed out".into()
    } else if error.is_body() || error.is_decode() {
        "broken response body".into()
    } else {
        "transport error".into()
    }
}

/// Parses a GraphQL response body: a JSON object with `data` (object or null)
/// and/or `errors` (list).
pub fn parse_response(bytes: &[u8]) -> Result<SubgraphResponse, String> {
    let value = super::store::parse(bytes).map_err(|_| "the body is not JSON".to_string())?;
    let Value::Object(mut object) = value else {
        return Err("the body is not a JSON object".into());
    };
    let data = object.remove("data");
    let errors = object.remove("errors");
    if data.is_none() && errors.is_none() {
        return Err("the body has neither data nor errors".into());
    }
    let data = match data {
        None | Some(Value::Null) => None,
        Some(value @ Value::Object(_)) => Some(value),
        Some(_) => return Err("data is not an object".into()),
    };
    let errors = match errors {
        None | Some(Value::Null) => Vec::new(),
        // Errors are rare and travel on as the router's JSON.
        Some(Value::Array(errors)) => errors.iter().map(Value::to_json).collect(),
        Some(_) => return Err("errors is not a list".into()),
    };
    Ok(SubgraphResponse { data, errors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_graphql_responses_and_rejects_garbage() {
        let ok = parse_response(br#"{"data":{"a":1},"errors":[{"message":"x"}]}"#).expect("ok");
        assert!(ok.data.is_some());
        assert_eq!(ok.errors.len(), 1);
        assert!(parse_response(br#"{"data":null,"errors":[{"message":"x"}]}"#).is_ok());
        for garbage in [
            &b"<html>"[..],
            b"[1]",
            b"{}",
            br#"{"data":3}"#,
            br#"{"data":{},"errors":{}}"#,
        ] {
            assert!(parse_response(garbage).is_err());
        }
        // Nesting past the parser's depth limit is an error, not a stack overflow.
        let deep = format!(
            r#"{{"data":{{"a":{}{}}}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse_response(deep.as_bytes()).is_err());
        let unicode = parse_response(r#"{"data":{"s":"\u00e9\ud83d\ude00 ok"}}"#.as_bytes())
            .expect("escapes");
        assert_eq!(
            unicode
                .data
                .as_ref()
                .and_then(|d| d.as_object())
                .and_then(|d| d.get("s"))
                .and_then(|s| s.as_str()),
            Some("é😀 ok")
        );
    }
}
