//! The orders subgraph's client for the inventory subgraph's (non-public)
//! `reserveStock` / `releaseStock` mutations. Calls carry the buyer's own
//! bearer token (inventory records whose reservation it is) and a service
//! credential that proves the call comes from the orders service: inventory
//! refuses these mutations to any caller without one, users included.

use serde::Deserialize;
use serde_json::json;
use tessera_kit::ApiResult;
use tessera_kit::auth::{SERVICE_TOKEN_HEADER, ServiceSigner};
use tessera_kit::client::GraphQLClient;

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
    client: GraphQLClient,
    signer: ServiceSigner,
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
        Self {
            client: GraphQLClient::new("inventory", url),
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
            .ok_or_else(|| self.client.unavailable("inventory returned no reservation"))
    }

    pub async fn release(&self, authorization: &str, order_id: &str) -> ApiResult<bool> {
        let data: ReleaseData = self
            .call(authorization, RELEASE, json!({"orderId": order_id}))
            .await?;
        data.release_stock.ok_or_else(|| {
            self.client
                .unavailable("inventory returned no release result")
        })
    }

    /// Calls inventory as the buyer (their token) and as the orders service.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        authorization: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> ApiResult<T> {
        let service = self.signer.token()?;
        self.client
            .call(
                query,
                variables,
                &[
                    ("authorization", authorization),
                    (SERVICE_TOKEN_HEADER, service.as_str()),
                ],
            )
            .await
    }
}
