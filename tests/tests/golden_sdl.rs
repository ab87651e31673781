//! Each subgraph's exported `_service { sdl }` is checked in as
//! `schema/subgraphs/<name>.graphql`. A change to a schema fails here until the
//! golden file is updated: `UPDATE_EXPECT=1 cargo nextest run -p tessera-tests golden`.

use std::path::PathBuf;

use serde_json::json;
use tessera_tests::{Backend, Platform, assert_no_errors, gql};

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../schema/subgraphs")
        .join(format!("{name}.graphql"))
}

#[tokio::test]
async fn exported_sdl_matches_golden_files() {
    let p = Platform::start(&Backend::Sqlite).await;
    let update = std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1");
    let mut drift = Vec::new();
    for (name, url) in [
        ("users", p.users.url()),
        ("orders", p.orders.url()),
        ("inventory", p.inventory.url()),
        ("notifications", p.notifications.url()),
    ] {
        let r = gql(&p.http, &url, "{ _service { sdl } }", json!({}), None).await;
        assert_no_errors(&r);
        let sdl = r.body["data"]["_service"]["sdl"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = golden_path(name);
        if update {
            std::fs::write(&path, &sdl).unwrap();
            continue;
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_default();
        if golden != sdl {
            drift.push(format!(
                "{} differs from the {name} subgraph's exported SDL",
                path.display()
            ));
        }
    }
    p.shutdown().await;
    assert!(
        drift.is_empty(),
        "{}\nIf the change is intended, update the golden files with:\n  UPDATE_EXPECT=1 cargo nextest run -p tessera-tests golden",
        drift.join("\n")
    );
}
