//! The users subgraph's client for the inventory subgraph's catalogue: a
//! product reference is checked where it is written (a wishlist entry for a
//! product that does not exist would read null for everyone who sees it).

use serde::Deserialize;
use serde_json::json;
use tessera_kit::ApiResult;
use tessera_kit::client::GraphQLClient;

#[derive(Clone, Debug)]
pub struct Catalogue {
    client: GraphQLClient,
}

#[derive(Deserialize)]
struct ProductData {
    product: Option<serde_json::Value>,
}

impl Catalogue {
    /// The inventory subgraph at `url` (its `/graphql`).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            client: GraphQLClient::new("inventory", url),
        }
    }

    /// Whether the catalogue has a product with this id.
    pub async fn has_product(&self, id: &str) -> ApiResult<bool> {
        let data: ProductData = self
            .client
            .call(
                "query($id: ID!) { product(id: $id) { id } }",
                json!({"id": id}),
                &[],
            )
            .await?;
        Ok(data.product.is_some_and(|p| !p.is_null()))
    }
}
