//! Calls from one subgraph to another over GraphQL (orders → inventory's
//! reservations, users → inventory's catalogue): one pooled client per peer,
//! a bounded timeout, and errors mapped so that the caller's own mistakes
//! (bad input, not found, not allowed) pass through with their codes while
//! anything else becomes `SERVICE_UNAVAILABLE` (details only logged).

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// A GraphQL client for one peer subgraph.
#[derive(Clone, Debug)]
pub struct GraphQLClient {
    http: reqwest::Client,
    url: String,
    /// The peer's name, for messages.
    peer: &'static str,
}

#[derive(Deserialize)]
struct GqlResponse<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GqlError>,
}

#[derive(Deserialize)]
struct GqlError {
    message: String,
    #[serde(default)]
    extensions: Option<serde_json::Value>,
}

impl GraphQLClient {
    pub fn new(peer: &'static str, url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self {
            http,
            url: url.into(),
            peer,
        }
    }

    /// Runs `query` with `variables` and `headers`; the response's `data`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: serde_json::Value,
        headers: &[(&str, &str)],
    ) -> ApiResult<T> {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({"query": query, "variables": variables}));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.unavailable(format!("request failed: {e}")))?;
        let body: GqlResponse<T> = response
            .json()
            .await
            .map_err(|e| self.unavailable(format!("unreadable response: {e}")))?;
        if let Some(error) = body.errors.into_iter().next() {
            let code = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(|c| c.as_str())
                .and_then(ErrorCode::from_code);
            return Err(match code {
                // Errors about the caller's own input pass through unchanged.
                Some(
                    code @ (ErrorCode::BadUserInput
                    | ErrorCode::NotFound
                    | ErrorCode::InsufficientStock
                    | ErrorCode::Unauthenticated
                    | ErrorCode::InvalidToken
                    | ErrorCode::TokenExpired
                    | ErrorCode::Forbidden),
                ) => ApiError::new(code, error.message),
                _ => self.unavailable(format!("error: {}", error.message)),
            });
        }
        body.data.ok_or_else(|| self.unavailable("no data"))
    }

    /// Logs `detail` and returns the client-facing `SERVICE_UNAVAILABLE`.
    pub fn unavailable(&self, detail: impl std::fmt::Display) -> ApiError {
        tracing::warn!(peer = self.peer, error = %detail, "call to a peer subgraph failed");
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("the {} service is unavailable; try again", self.peer),
        )
    }
}
