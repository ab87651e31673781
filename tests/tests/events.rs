//! Domain events in the transactional outbox: placing, cancelling and
//! restocking write their events in the same transaction as the change, a
//! failed change writes none, and every event matches its JSON Schema
//! (`schema/events/`).

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tessera_kit::events::Envelope;
use tessera_tests::{Platform, admin_token, assert_code, assert_no_errors, backends, gql};

/// Every event checked against `schema/events/<type>.schema.json`.
fn assert_valid(events: &[Envelope]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/events");
    for envelope in events {
        let path = dir.join(format!("{}.schema.json", envelope.event_type));
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("no schema for {}: {e}", envelope.event_type)),
        )
        .unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let instance = serde_json::to_value(envelope).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{instance:#} violates {}: {errors:#?}",
            path.display()
        );
    }
}

fn types(events: &[Envelope]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

const PLACE: &str = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id totalCents } }";

#[tokio::test]
async fn state_changes_write_their_events_in_the_same_transaction() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let desk = p.create_product("DESK-EV", "Desk", 25_000, 6).await;
        let (token, user_id) = p.sign_up("Eve").await;
        // 6 → 4: below the low-stock threshold (5).
        let r = gql(
            &p.http,
            &p.orders.url(),
            PLACE,
            json!({"i": {"lines": [{"productId": desk, "quantity": 2}]}}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        let order_id = r.data()["placeOrder"]["id"].as_str().unwrap().to_owned();
        let r = gql(
            &p.http,
            &p.orders.url(),
            "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
            json!({"id": order_id}),
            Some(&token),
        )
        .await;
        assert_no_errors(&r);
        let r = gql(
            &p.http,
            &p.inventory.url(),
            "mutation($id: ID!) { restock(productId: $id, quantity: 3) { stock } }",
            json!({"id": desk}),
            Some(&admin_token()),
        )
        .await;
        assert_no_errors(&r);

        let orders = tessera_kit::events::all(&p.orders.db).await.unwrap();
        assert_eq!(
            types(&orders),
            ["OrderPlaced", "OrderCancelled"],
            "{orders:#?}"
        );
        assert_eq!(orders[0].aggregate_id, order_id);
        assert_eq!(orders[0].payload["userId"], user_id.as_str());
        assert_eq!(orders[0].payload["totalCents"], 50_000);
        assert_eq!(orders[0].payload["lines"][0]["quantity"], 2);
        let inventory = tessera_kit::events::all(&p.inventory.db).await.unwrap();
        assert_eq!(
            types(&inventory),
            [
                "StockReserved",
                "StockLow",
                "StockReleased",
                "ProductRestocked"
            ],
            "{inventory:#?}"
        );
        assert_eq!(
            inventory[1].payload,
            json!({"productId": desk, "stock": 4, "threshold": 5})
        );
        assert_eq!(inventory[3].payload["stock"], 9);
        assert_valid(&orders);
        assert_valid(&inventory);
        // Everything waits for the relay; ids sort by time.
        let unpublished = tessera_kit::events::unpublished(&p.inventory.db, 100)
            .await
            .unwrap();
        assert_eq!(unpublished.len(), 4);
        assert!(inventory.windows(2).all(|w| w[0].id < w[1].id));
        assert!(
            inventory.iter().all(|e| e.event().is_some()),
            "typed events"
        );
        p.shutdown().await;
    }
}

#[tokio::test]
async fn a_failed_change_writes_no_event() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let desk = p.create_product("DESK-NO", "Desk", 25_000, 1).await;
        let (token, _) = p.sign_up("Nell").await;
        let r = gql(
            &p.http,
            &p.orders.url(),
            PLACE,
            json!({"i": {"lines": [{"productId": desk, "quantity": 2}]}}),
            Some(&token),
        )
        .await;
        assert_code(&r, "INSUFFICIENT_STOCK");
        let r = gql(
            &p.http,
            &p.orders.url(),
            "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
            json!({"id": tessera_kit::ids::new_id()}),
            Some(&token),
        )
        .await;
        assert_code(&r, "NOT_FOUND");
        assert!(
            tessera_kit::events::all(&p.orders.db)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            tessera_kit::events::all(&p.inventory.db)
                .await
                .unwrap()
                .is_empty()
        );
        p.shutdown().await;
    }
}

/// The schemas refuse what they should (so `assert_valid` can fail).
#[test]
fn schemas_refuse_malformed_events() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/events");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("OrderCancelled.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let good = json!({"id": "e", "type": "OrderCancelled", "schemaVersion": 1, "aggregateType": "Order",
        "aggregateId": "o", "occurredAt": "2026-12-01T00:00:00Z", "payload": {"orderId": "o", "userId": "u"}});
    assert!(validator.is_valid(&good));
    for (pointer, value) in [
        ("/type", json!("OrderPlaced")),
        ("/schemaVersion", json!(2)),
        ("/payload/userId", json!(7)),
        ("/payload/extra", json!(true)),
    ] {
        let mut bad = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut bad
        } else {
            bad.pointer_mut(parent).unwrap()
        };
        target[key] = value;
        assert!(!validator.is_valid(&bad), "{pointer}: {bad}");
    }
}
