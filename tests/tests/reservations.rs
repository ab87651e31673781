//! Reservation safety: stock reserved for an order that the orders service
//! never recorded (it stopped between reserving and recording) is released
//! after the reservation timeout; recorded orders keep theirs; a cancelled
//! order's stock comes back once. On SQLite (and PostgreSQL when its URL is
//! set) with the orders outbox read in-process, and over a Redis stream when
//! `TESSERA_TEST_REDIS_URL` is set.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tessera_inventory::service::{self, ReserveLine};
use tessera_kit::consume::{EventSource, OutboxSource};
use tessera_tests::{Platform, assert_no_errors, backends, gql};

const PLACE: &str = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id totalCents } }";
const CANCEL: &str = "mutation($id: ID!) { cancelOrder(id: $id) { id status } }";
const TIMEOUT: Duration = Duration::from_millis(800);

async fn stock(p: &Platform, product: &str) -> i32 {
    service::products_by_ids(&p.inventory.db, &[product.to_owned()])
        .await
        .unwrap()[product]
        .stock
}

/// Waits (bounded) until `product`'s stock is `expected`; the stock it saw last.
async fn stock_becomes(p: &Platform, product: &str, expected: i32) -> i32 {
    let mut seen = stock(p, product).await;
    for _ in 0..150 {
        if seen == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = stock(p, product).await;
    }
    seen
}

/// What the orders service does before it records an order, and then stops:
/// stock reserved in inventory for an order id nothing else knows.
async fn reserve_and_crash(p: &Platform, user: &str, product: &str, quantity: i32) -> String {
    let order_id = tessera_kit::ids::new_id();
    service::reserve(
        &p.inventory.db,
        user,
        &order_id,
        &[ReserveLine {
            product_id: product.to_owned(),
            quantity,
        }],
    )
    .await
    .unwrap();
    order_id
}

async fn place(p: &Platform, token: &str, product: &str, quantity: i32) -> String {
    let r = gql(
        &p.http,
        &p.orders.url(),
        PLACE,
        json!({"i": {"lines": [{"productId": product, "quantity": quantity}]}}),
        Some(token),
    )
    .await;
    assert_no_errors(&r);
    r.data()["placeOrder"]["id"].as_str().unwrap().to_owned()
}

fn released_events(events: &[tessera_kit::events::Envelope], order: &str) -> usize {
    events
        .iter()
        .filter(|e| e.event_type == "StockReleased" && e.aggregate_id == order)
        .count()
}

async fn orphans_are_released_and_orders_kept(p: &Platform, source: Arc<dyn EventSource>) {
    let product = p.create_product("SAFE-LAMP", "Lamp", 2_500, 20).await;
    let (token, user) = p.sign_up("Safe").await;
    let safety = tessera_inventory::reservations::start(p.inventory.db.clone(), source, TIMEOUT);

    let orphan = reserve_and_crash(p, &user, &product, 3).await;
    let kept = place(p, &token, &product, 2).await;
    assert_eq!(stock(p, &product).await, 15);
    // After the timeout only the orphan's 3 units are back.
    assert_eq!(stock_becomes(p, &product, 18).await, 18);
    tokio::time::sleep(TIMEOUT * 2).await;
    assert_eq!(
        stock(p, &product).await,
        18,
        "the recorded order keeps its stock"
    );
    let events = tessera_kit::events::all(&p.inventory.db).await.unwrap();
    assert_eq!(released_events(&events, &orphan), 1);
    assert_eq!(released_events(&events, &kept), 0);

    // Cancelling returns the stock once: the order service's release, then
    // its OrderCancelled event, which finds nothing left to release. The
    // consumer's count is read before the cancel: it may consume the event
    // before the mutation's answer arrives (every earlier event, the kept
    // order's OrderPlaced included, is consumed by now: its stock stayed).
    let status = safety.status();
    let applied = status.applied();
    let r = gql(
        &p.http,
        &p.orders.url(),
        CANCEL,
        json!({"id": kept}),
        Some(&token),
    )
    .await;
    assert_no_errors(&r);
    assert_eq!(stock(p, &product).await, 20);
    // Up to 20 s: on a loaded 2-core machine the consumer's next read can
    // take several seconds (it failed once at 5 s during a full run).
    for _ in 0..400 {
        if status.applied() > applied {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        status.applied() > applied,
        "the OrderCancelled was consumed"
    );
    tokio::time::sleep(TIMEOUT).await;
    assert_eq!(stock(p, &product).await, 20);
    let events = tessera_kit::events::all(&p.inventory.db).await.unwrap();
    assert_eq!(released_events(&events, &kept), 1, "released once");
    drop(safety);
}

#[tokio::test]
async fn reservations_of_orders_never_recorded_are_released_after_the_timeout() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let source = Arc::new(OutboxSource::new(p.orders.db.clone()));
        orphans_are_released_and_orders_kept(&p, source).await;
        p.shutdown().await;
    }
}

/// 50 orders at once, a random third of them "crashing" between reserving and
/// recording: once the timeout has passed, stock = initial − recorded orders.
#[tokio::test]
async fn concurrent_orders_with_crashes_leave_exactly_the_recorded_stock() {
    for backend in backends() {
        let p = Platform::start(&backend).await;
        let product = p.create_product("SAFE-CHAIR", "Chair", 9_900, 500).await;
        let (token, user) = p.sign_up("Many").await;
        let safety = tessera_inventory::reservations::start(
            p.inventory.db.clone(),
            Arc::new(OutboxSource::new(p.orders.db.clone())),
            TIMEOUT,
        );
        // Deterministic "random": which orders crash, and their quantities.
        let plan: Vec<(bool, i32)> = (0u32..50)
            .map(|i| {
                let h = i.wrapping_mul(2_654_435_761).rotate_left(7);
                (h % 3 == 0, 1 + (h % 4) as i32)
            })
            .collect();
        let runs = plan.iter().map(|&(crash, quantity)| {
            let (p, token, user, product) = (&p, &token, &user, &product);
            async move {
                if crash {
                    reserve_and_crash(p, user, product, quantity).await;
                    0
                } else {
                    place(p, token, product, quantity).await;
                    quantity
                }
            }
        });
        let recorded: i32 = futures::future::join_all(runs).await.into_iter().sum();
        let crashed: i32 = plan.iter().filter(|(c, _)| *c).map(|(_, q)| q).sum();
        assert!(crashed > 0 && recorded > 0);
        assert_eq!(
            stock_becomes(&p, &product, 500 - recorded).await,
            500 - recorded,
            "{crashed} units of crashed orders come back, {recorded} stay sold"
        );
        tokio::time::sleep(TIMEOUT * 2).await;
        assert_eq!(stock(&p, &product).await, 500 - recorded);
        drop(safety);
        p.shutdown().await;
    }
}

/// Without a working event source nothing is released: an unconfirmed
/// reservation may have its `OrderPlaced` waiting there.
#[tokio::test]
async fn nothing_is_released_while_the_event_source_is_down() {
    struct Down;
    #[async_trait::async_trait]
    impl EventSource for Down {
        async fn next(
            &self,
            _: usize,
            _: Duration,
        ) -> Result<Vec<tessera_kit::relay::Delivery>, tessera_kit::relay::BrokerError> {
            Err(tessera_kit::relay::BrokerError("down".into()))
        }
        async fn ack(&self, _: &[String]) -> Result<(), tessera_kit::relay::BrokerError> {
            Ok(())
        }
    }
    let p = Platform::start(&tessera_tests::Backend::Sqlite).await;
    let product = p.create_product("SAFE-DOWN", "Desk", 19_900, 10).await;
    let (_, user) = p.sign_up("Down").await;
    let safety =
        tessera_inventory::reservations::start(p.inventory.db.clone(), Arc::new(Down), TIMEOUT);
    reserve_and_crash(&p, &user, &product, 4).await;
    tokio::time::sleep(TIMEOUT * 3).await;
    assert_eq!(stock(&p, &product).await, 6);
    assert!(safety.status().failures() > 0);
    drop(safety);
    p.shutdown().await;
}

/// An `OrderPlaced` that arrives after its reservation expired takes the
/// stock again when there is enough, and changes nothing when there is not.
#[tokio::test]
async fn a_late_confirmation_takes_the_stock_again() {
    let p = Platform::start(&tessera_tests::Backend::Sqlite).await;
    let product = p.create_product("SAFE-LATE", "Shelf", 4_900, 5).await;
    let (_, user) = p.sign_up("Late").await;
    let late = reserve_and_crash(&p, &user, &product, 2).await;
    let lost = reserve_and_crash(&p, &user, &product, 3).await;
    let released = service::release_expired(&p.inventory.db, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(released.len(), 2);
    assert_eq!(stock(&p, &product).await, 5);
    // Someone else buys 4 of the 5 units meanwhile.
    reserve_and_crash(&p, &user, &product, 4).await;
    let placed = |order: &str, quantity: i32| tessera_kit::events::Envelope {
        id: tessera_kit::ids::new_id(),
        event_type: "OrderPlaced".into(),
        schema_version: 1,
        aggregate_type: "Order".into(),
        aggregate_id: order.to_owned(),
        occurred_at: chrono::Utc::now(),
        payload: json!({
            "orderId": order, "userId": user, "totalCents": 0,
            "lines": [{"productId": product, "quantity": quantity, "unitPriceCents": 0}]
        }),
    };
    let handler = tessera_inventory::reservations::handler();
    for (order, quantity, expected_stock) in [(&late, 2, 1), (&lost, 3, 1)] {
        let envelope = placed(order, quantity);
        let event = envelope.event().expect("an OrderPlaced");
        let handler = Arc::clone(&handler);
        let applied = tessera_kit::events::apply_once(&p.inventory.db, "test", &envelope, |txn| {
            handler(txn, &envelope, event)
        })
        .await
        .unwrap();
        assert!(applied);
        assert_eq!(stock(&p, &product).await, expected_stock, "{order}");
    }
    // Regression: an order cancelled before its OrderPlaced was applied
    // (consumer lag) had its stock taken again by the late event.
    let cancelled = reserve_and_crash(&p, &user, &product, 1).await;
    assert_eq!(stock(&p, &product).await, 0);
    assert!(
        service::release(&p.inventory.db, &user, &cancelled)
            .await
            .unwrap()
    );
    assert_eq!(stock(&p, &product).await, 1);
    let envelope = placed(&cancelled, 1);
    let event = envelope.event().expect("an OrderPlaced");
    let applied = tessera_kit::events::apply_once(&p.inventory.db, "test", &envelope, |txn| {
        handler(txn, &envelope, event)
    })
    .await
    .unwrap();
    assert!(applied);
    assert_eq!(
        stock(&p, &product).await,
        1,
        "a cancelled order takes nothing"
    );
    // The retaken reservation is confirmed: the sweeper leaves it alone.
    let released = service::release_expired(&p.inventory.db, chrono::Utc::now())
        .await
        .unwrap();
    assert!(!released.contains(&late), "{released:?}");
    p.shutdown().await;
}

/// Over Redis: the orders relay appends to the orders stream and the
/// inventory consumer group confirms from there.
#[tokio::test]
async fn reservation_safety_reads_the_orders_stream_on_redis() {
    let Ok(url) = std::env::var("TESSERA_TEST_REDIS_URL") else {
        eprintln!("TESSERA_TEST_REDIS_URL is not set: the Redis test runs in CI");
        return;
    };
    let p = Platform::start(&tessera_tests::Backend::Sqlite).await;
    let prefix = format!("tessera-test:{}:events:", tessera_kit::ids::new_id());
    let broker = tessera_kit::relay::RedisStreams::new(&url, &prefix, 10_000)
        .unwrap_or_else(|e| panic!("TESSERA_TEST_REDIS_URL={url}: {e}"));
    let relay = tessera_kit::relay::Relay::new(p.orders.db.clone(), Arc::new(broker), "orders")
        .spawn(Duration::from_millis(50));
    let consumer = tessera_kit::relay::RedisConsumer::join(
        &url,
        &format!("{prefix}orders"),
        tessera_inventory::reservations::GROUP,
        "test-member",
        Duration::from_secs(30),
    )
    .await
    .unwrap_or_else(|e| panic!("TESSERA_TEST_REDIS_URL={url} is unreachable: {e}"));
    orphans_are_released_and_orders_kept(&p, Arc::new(consumer)).await;
    drop(relay);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("DEL")
        .arg(format!("{prefix}orders"))
        .query_async(&mut connection)
        .await
        .unwrap();
    p.shutdown().await;
}
