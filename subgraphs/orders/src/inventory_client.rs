//! The orders subgraph's client for the inventory subgraph's (non-public)
//! `reserveStock` / `releaseStock` mutations. Calls carry the buyer's own
//! bearer token (inventory records whose reservation it is) and a service
//! credential that proves the call comes from the orders service: inventory
//! refuses these mutations to any caller without one, users included.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tessera_kit::auth::{SERVICE_TOKEN_HEADER, ServiceSigner};
use tessera_kit::{ApiError, ApiResult, ErrorCode};

/// A line to reserve.
#[derive(Debug, Clone)]
pub struct LineRequest {
    pub product_id: String,
    pub quantity: i32,
}

/// A reserved line, with the catalogue's name and price at reservation time.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReservedLine {
    pub product_id: String,
    pub product_name: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

#[derive(Clone)]
pub struct InventoryClient {
    http: reqwest::Client,
    url: String,
    signer: ServiceSigner,
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReserveData {
    reserve_stock: Option<Reservation>,
}

#[derive(Deserialize)]
struct Reservation {
    lines: Vec<ReservedLine>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseData {
    release_stock: Option<bool>,
}

const RESERVE: &str = "mutation Reserve($orderId: ID!, $lines: [ReservationLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { lines { productId productName unitPriceCents quantity } }
}";

const RELEASE: &str = "mutation Release($orderId: ID!) { releaseStock(orderId: $orderId) }";

impl InventoryClient {
    pub fn new(url: impl Into<String>, signer: ServiceSigner) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self {
            http,
            url: url.into(),
            signer,
        }
    }

    pub async fn reserve(
        &self,
        authorization: &str,
        order_id: &str,
        lines: &[LineRequest],
    ) -> ApiResult<Vec<ReservedLine>> {
        let lines: Vec<_> = lines
            .iter()
            .map(|l| json!({"productId": l.product_id, "quantity": l.quantity}))
            .collect();
        let data: ReserveData = self
            .call(
                authorization,
                RESERVE,
                json!({"orderId": order_id, "lines": lines}),
            )
            .await?;
        data.reserve_stock
            .map(|r| r.lines)
            .ok_or_else(|| unavailable("inventory returned no reservation"))
    }

    pub async fn release(&self, authorization: &str, order_id: &str) -> ApiResult<bool> {
        let data: ReleaseData = self
            .call(authorization, RELEASE, json!({"orderId": order_id}))
            .await?;
        data.release_stock
            .ok_or_else(|| unavailable("inventory returned no release result"))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        authorization: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> ApiResult<T> {
        let response = self
            .http
            .post(&self.url)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(SERVICE_TOKEN_HEADER, self.signer.token()?)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .map_err(|e| unavailable(format!("inventory request failed: {e}")))?;
        let body: GqlResponse<T> = response
            .json()
            .await
            .map_err(|e| unavailable(format!("inventory sent an unreadable response: {e}")))?;
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
                _ => unavailable(format!("inventory error: {}", error.message)),
            });
        }
        body.data
            .ok_or_else(|| unavailable("inventory returned no data"))
    }
}

fn unavailable(detail: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %detail, "inventory call failed");
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "the inventory service is unavailable; try again",
    )
}
