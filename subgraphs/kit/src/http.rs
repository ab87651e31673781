//! The HTTP surface every subgraph shares: `/graphql` (POST and GET), `/health`.
//!
//! Bearer tokens are verified here, before execution: a request whose token is
//! present but invalid is rejected as a whole (401, `INVALID_TOKEN` or
//! `TOKEN_EXPIRED`), so no resolver ever runs for a forged identity. A request
//! without a token runs anonymously; resolvers that need a user say so.

use std::future::Future;
use std::net::SocketAddr;

use async_graphql::ParseRequestError;
use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::GraphQLBatchRequest;
use async_graphql_axum::rejection::GraphQLRejection;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tessera_graphql_http::ResponseMode;
use tokio::net::TcpListener;

use crate::auth::{JwtVerifier, SERVICE_TOKEN_HEADER, Viewer};
use crate::error::{ApiError, ErrorCode};

/// Largest request body a subgraph accepts.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

struct AppState<Q, M, S> {
    schema: Schema<Q, M, S>,
    verifier: JwtVerifier,
    db: DatabaseConnection,
    introspection: bool,
}

impl<Q, M, S> Clone for AppState<Q, M, S> {
    fn clone(&self) -> Self {
        Self {
            schema: self.schema.clone(),
            verifier: self.verifier.clone(),
            db: self.db.clone(),
            introspection: self.introspection,
        }
    }
}

/// The axum router for a subgraph schema: `/graphql` and `/health`;
/// `introspection` answers `__schema` / `__type` (`_service` always works).
pub fn graphql_router<Q, M, S>(
    schema: Schema<Q, M, S>,
    verifier: JwtVerifier,
    db: DatabaseConnection,
    introspection: bool,
) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let state = AppState {
        schema,
        verifier,
        db,
        introspection,
    };
    Router::new()
        .route("/graphql", get(graphql::<Q, M, S>).post(graphql::<Q, M, S>))
        .route("/health", get(health::<Q, M, S>))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn graphql<Q, M, S>(
    State(state): State<AppState<Q, M, S>>,
    method: Method,
    headers: HeaderMap,
    request: Result<GraphQLBatchRequest, GraphQLRejection>,
) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let Some(mode) = tessera_graphql_http::negotiate(&headers) else {
        // The body cannot be in a type the client accepts: use the default.
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            &ApiError::bad_input(
                "the Accept header allows neither application/graphql-response+json nor application/json",
            ),
        );
    };
    let error_response = |status: StatusCode, error: &ApiError| {
        let mut response = error_response(status, error);
        set_content_type(&mut response, mode);
        response
    };
    // CSRF: a browser can send a "simple" cross-site POST (text/plain, form
    // encodings) without a preflight; only JSON bodies are GraphQL requests here.
    if method == Method::POST && !is_json(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &ApiError::bad_input("POST requests must have Content-Type: application/json"),
        );
    }
    let request = match request {
        Ok(r) => r.into_inner(),
        Err(GraphQLRejection(e)) => {
            let declared_too_large = headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
                .is_some_and(|n| n > MAX_BODY_BYTES);
            let (status, message) = match e {
                ParseRequestError::PayloadTooLarge => {
                    (StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
                }
                _ if declared_too_large => {
                    (StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
                }
                _ => (
                    StatusCode::BAD_REQUEST,
                    "the request is not a valid GraphQL request",
                ),
            };
            return error_response(status, &ApiError::bad_input(message));
        }
    };
    // GraphQL over HTTP: mutations only over POST (GET must be safe).
    if method == Method::GET && request.iter().any(is_mutation) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &ApiError::bad_input("mutations must be sent with POST"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
        return response;
    }
    // Batches multiply what one request may do (150 log-ins in one body);
    // GraphQL over HTTP has none, and the router never sends them.
    let request = match request {
        async_graphql::BatchRequest::Single(r) => r,
        async_graphql::BatchRequest::Batch(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &ApiError::bad_input("batched requests are not supported; send one operation"),
            );
        }
    };
    if request.query.trim().is_empty() {
        return error_response(
            StatusCode::BAD_REQUEST,
            &ApiError::bad_input("the request has no `query`"),
        );
    }
    let viewer = match viewer_from_headers(&state.verifier, &headers) {
        Ok(v) => v,
        Err(e) => {
            let status =
                StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return error_response(status, &e);
        }
    };
    let mut request = request
        .data(viewer)
        .data(crate::context::PerRequest::default());
    if !state.introspection {
        request = request.disable_introspection();
    }
    render(state.schema.execute(request).await, mode)
}

/// An executed response in `mode`. A request error (`data` null and no error
/// with a path: nothing executed) has no `data` key and the request-error
/// status of `mode`; anything else is 200 with the whole result.
fn render(response: async_graphql::Response, mode: ResponseMode) -> Response {
    let request_error = matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let (status, body) = if request_error {
        (
            mode.request_error_status(),
            serde_json::to_vec(&serde_json::json!({ "errors": response.errors })),
        )
    } else {
        (StatusCode::OK, serde_json::to_vec(&response))
    };
    let mut response = match body {
        Ok(body) => (status, body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    set_content_type(&mut response, mode);
    response
}

fn set_content_type(response: &mut Response, mode: ResponseMode) {
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(mode.content_type()),
    );
    // The body's media type depends on `Accept` (caches must key on it).
    response
        .headers_mut()
        .append(header::VARY, axum::http::HeaderValue::from_static("accept"));
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|media| {
            let media = media.trim();
            media.eq_ignore_ascii_case("application/json")
                || media.eq_ignore_ascii_case("application/graphql-response+json")
        })
        .unwrap_or(false)
}

/// Whether the operation a request would run is a mutation (unparsable
/// documents are left to the executor to reject).
fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let ty = match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) => {
            let mut it = ops.values();
            match (it.next(), it.next()) {
                (Some(op), None) => Some(op.node.ty),
                _ => None,
            }
        }
    };
    ty == Some(OperationType::Mutation)
}

/// Reads and verifies the `Authorization` header and the service credential.
pub fn viewer_from_headers(
    verifier: &JwtVerifier,
    headers: &HeaderMap,
) -> Result<Viewer, ApiError> {
    let service = match headers.get(SERVICE_TOKEN_HEADER) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::new(ErrorCode::InvalidToken, "invalid service credential"))
                .and_then(|token| verifier.verify_service(token.trim()))?,
        ),
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer {
            service,
            ..Viewer::default()
        });
    };
    let value = value.to_str().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidToken,
            "the Authorization header is not valid text",
        )
    })?;
    let claims = verifier.verify_header(value)?;
    Ok(Viewer {
        claims: Some(claims),
        authorization: Some(value.to_owned()),
        service,
    })
}

async fn health<Q, M, S>(State(state): State<AppState<Q, M, S>>) -> Response {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

/// A GraphQL error response for a request rejected before execution.
pub fn error_response(status: StatusCode, error: &ApiError) -> Response {
    (status, axum::Json(error.to_response_body())).into_response()
}

/// Binds `addr` (use port 0 for an ephemeral port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Default header-read timeout of [`serve`] callers without a config.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves, then drains: the
/// router's accept loop (`tessera_graphql_http::server`), so a connection
/// that sends no request head within `header_read_timeout` is closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: std::time::Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tessera_graphql_http::server::serve_connections(listener, app, header_read_timeout, shutdown)
        .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// A server running in the background (dev mode and tests).
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Work that lives as long as the server (the outbox relay, consumers):
    /// handles that stop their task when dropped.
    background: Vec<Box<dyn Send + Sync>>,
    /// What `/metrics` reports, when the app serves it.
    metrics: Option<std::sync::Arc<crate::metrics::ServiceMetrics>>,
}

impl RunningServer {
    /// Serves `app` on `listener` in a background task.
    pub fn spawn(listener: TcpListener, app: Router) -> std::io::Result<Self> {
        Self::spawn_with_timeout(listener, app, HEADER_READ_TIMEOUT)
    }

    /// [`RunningServer::spawn`] with its header-read timeout.
    pub fn spawn_with_timeout(
        listener: TcpListener,
        app: Router,
        header_read_timeout: std::time::Duration,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, header_read_timeout, async {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            shutdown: Some(tx),
            task,
            background: Vec::new(),
            metrics: None,
        })
    }

    /// Keeps `relay` running until the server stops.
    pub fn with_relay(self, relay: Option<crate::relay::RelayHandle>) -> Self {
        match relay {
            Some(relay) => self.with_background(relay),
            None => self,
        }
    }

    /// The metrics its `/metrics` serves.
    pub fn with_metrics(mut self, metrics: std::sync::Arc<crate::metrics::ServiceMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Keeps consumer `name` running until the server stops and reports it
    /// on `/metrics` (reading its backlog at `source`).
    pub fn with_consumer(
        self,
        name: &str,
        status: std::sync::Arc<crate::consume::ConsumerStatus>,
        source: std::sync::Arc<dyn crate::consume::EventSource>,
        handle: impl Send + Sync + 'static,
    ) -> Self {
        if let Some(metrics) = &self.metrics {
            metrics.watch(name, status, source);
        }
        self.with_background(handle)
    }

    /// Keeps `work` (a handle whose drop stops its task) until the server stops.
    pub fn with_background(mut self, work: impl Send + Sync + 'static) -> Self {
        self.background.push(Box::new(work));
        self
    }

    /// `http://<addr>/graphql`.
    pub fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Stops accepting connections and waits for in-flight requests.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.background.clear();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `config.listen` and serves `app` in the background.
pub async fn spawn_app(
    config: &crate::config::SubgraphConfig,
    app: Router,
) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(config.listen).await?;
    RunningServer::spawn_with_timeout(listener, app, config.header_read_timeout())
}

/// Binds `config.listen` and serves `app` until Ctrl-C / SIGTERM.
pub async fn run_app(
    name: &str,
    config: &crate::config::SubgraphConfig,
    app: Router,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(config.listen).await?;
    tracing::info!(subgraph = name, addr = %listener.local_addr()?, "listening");
    serve(
        listener,
        app,
        config.header_read_timeout(),
        shutdown_signal(),
    )
    .await
}
