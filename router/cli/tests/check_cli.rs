//! `tessera compose` and `tessera check`, run as the real binary.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    // router/cli → the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .current_dir(repo())
        .env("RUST_LOG", "off")
        .output()
        .expect("run tessera")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh temp directory holding a copy of the golden subgraph SDLs, each passed
/// through `edit(name, sdl)`.
fn proposed_subgraphs(test: &str, edit: impl Fn(&str, String) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tessera-check-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for name in ["users", "orders", "inventory", "notifications"] {
        let sdl = std::fs::read_to_string(repo().join(format!("schema/subgraphs/{name}.graphql")))
            .expect("golden SDL");
        std::fs::write(dir.join(format!("{name}.graphql")), edit(name, sdl)).expect("write");
    }
    dir
}

fn check(dir: &Path, extra: &[&str]) -> Output {
    let dir = dir.display().to_string();
    let mut args = vec![
        "check",
        "--subgraphs-dir",
        &dir,
        "--against",
        "schema/supergraph.graphql",
        "--operations",
        "frontend-contract/operations/*.graphql",
    ];
    args.extend_from_slice(extra);
    tessera(&args)
}

/// `schema/supergraph.graphql` is what `tessera compose` makes of the golden subgraph
/// SDLs. Fails on drift; `UPDATE_EXPECT=1` rewrites it.
#[test]
fn checked_in_supergraph_is_up_to_date() {
    let output = tessera(&["compose"]);
    assert!(
        output.status.success(),
        "compose failed:\n{}",
        stderr(&output)
    );
    let composed = stdout(&output);
    let path = repo().join("schema/supergraph.graphql");
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::write(&path, &composed).expect("write supergraph");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == composed,
        "schema/supergraph.graphql is stale relative to schema/subgraphs/*.graphql.\n\
         Regenerate it with `cargo run -p tessera-cli -- compose --out schema/supergraph.graphql`\n\
         (or `UPDATE_EXPECT=1 cargo test -p tessera-cli --test check_cli`)."
    );
}

/// `schema/api.graphql` (what the storefront's code generator reads) is the
/// API schema of the composed supergraph. Fails on drift; `UPDATE_EXPECT=1`
/// rewrites it.
#[test]
fn checked_in_api_schema_is_up_to_date() {
    let output = tessera(&["compose", "--api"]);
    assert!(
        output.status.success(),
        "compose --api failed:\n{}",
        stderr(&output)
    );
    let api = stdout(&output);
    assert!(api.contains("type Query"), "{api}");
    assert!(
        !api.contains("join__") && !api.contains("@inaccessible"),
        "{api}"
    );
    let path = repo().join("schema/api.graphql");
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::write(&path, &api).expect("write API schema");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == api,
        "schema/api.graphql is stale relative to schema/subgraphs/*.graphql.\n\
         Regenerate it with `cargo run -p tessera-cli -- compose --api --out schema/api.graphql`\n\
         (or `UPDATE_EXPECT=1 cargo test -p tessera-cli --test check_cli`)."
    );
}

#[test]
fn check_passes_on_the_checked_in_subgraphs() {
    let output = tessera(&["check"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    assert!(out.contains("0 breaking"), "{out}");
    assert!(
        out.contains("ok     frontend-contract/operations/my-orders.graphql (MyOrders)"),
        "{out}"
    );
    assert!(out.contains("Check passed."), "{out}");
}

#[test]
fn removing_a_field_an_operation_uses_fails_and_names_the_operation() {
    let dir = proposed_subgraphs("removed", |name, sdl| {
        if name == "orders" {
            sdl.replace(
                "\t\"\"\"\n\tSum of the lines at the prices when ordered, in cents.\n\t\"\"\"\n\ttotalCents: Int!\n",
                "",
            )
        } else {
            sdl
        }
    });
    let output = check(&dir, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}\n{}", stderr(&output));
    assert!(out.contains("FIELD_REMOVED Order.totalCents"), "{out}");
    for broken in [
        "BROKEN frontend-contract/operations/my-orders.graphql (MyOrders)",
        "BROKEN frontend-contract/operations/place-order.graphql (PlaceOrder)",
    ] {
        assert!(out.contains(broken), "{broken:?} missing from:\n{out}");
    }
    assert!(
        out.contains("ok     frontend-contract/operations/log-in.graphql (LogIn)"),
        "{out}"
    );
    assert!(out.contains("Check FAILED."), "{out}");

    // The same as JSON for CI.
    let output = check(&dir, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON report");
    assert_eq!(json["passed"], false);
    let broken: Vec<&str> = json["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter(|o| {
            !o["breaking_changes"]
                .as_array()
                .is_some_and(|a| a.is_empty())
        })
        .filter_map(|o| o["operation"].as_str())
        .collect();
    assert_eq!(broken, vec!["MyOrders", "PlaceOrder"], "{json:#}");
    let changes = json["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "only the removal: {json:#}");
    assert_eq!(changes[0]["kind"], "FIELD_REMOVED");
    assert_eq!(changes[0]["criticality"], "breaking");
    assert_eq!(changes[0]["path"], "Order.totalCents");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn adding_a_field_passes() {
    let dir = proposed_subgraphs("added", |name, sdl| {
        if name == "orders" {
            sdl.replace(
                "\ttotalCents: Int!\n",
                "\ttotalCents: Int!\n\tgiftMessage: String\n",
            )
        } else {
            sdl
        }
    });
    let output = check(&dir, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    assert!(
        out.contains("safe      FIELD_ADDED Order.giftMessage"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn composition_errors_exit_1_with_subgraph_coordinate_and_rule() {
    let dir = proposed_subgraphs("conflict", |name, sdl| {
        if name == "orders" {
            // PageInfo is shared; a different type for one field cannot compose.
            sdl.replacen("\tendCursor: String\n", "\tendCursor: Int\n", 1)
        } else {
            sdl
        }
    });
    let output = check(&dir, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}\n{}", stderr(&output));
    assert!(out.contains("Composition failed"), "{out}");
    assert!(out.contains("FIELD_TYPE_MISMATCH"), "{out}");
    assert!(out.contains("PageInfo.endCursor"), "{out}");
    assert!(out.contains("orders"), "{out}");

    let dir_display = dir.display().to_string();
    let output = tessera(&["compose", "--subgraphs-dir", &dir_display]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("FIELD_TYPE_MISMATCH"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let output = tessera(&["compose", "--subgraph", "users"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("NAME=VALUE"));
    let output = tessera(&["compose", "--subgraph", "users=/nonexistent/users.graphql"]);
    assert_eq!(output.status.code(), Some(2));
    let output = tessera(&["check", "--against", "/nonexistent/supergraph.graphql"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("baseline"), "{}", stderr(&output));
}

/// Serves one `_service { sdl }` response on a local port; returns its URL.
fn fake_subgraph(sdl: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buffer = [0u8; 8192];
            let mut request = Vec::new();
            // Read headers and the (small) body.
            while let Ok(n) = stream.read(&mut buffer) {
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let body = serde_json::json!({ "data": { "_service": { "sdl": sdl } } }).to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

#[test]
fn compose_fetches_sdl_from_running_subgraphs() {
    let users_sdl =
        std::fs::read_to_string(repo().join("schema/subgraphs/users.graphql")).expect("sdl");
    let url = fake_subgraph(users_sdl);
    let users = format!("users={url}");
    let out_file =
        std::env::temp_dir().join(format!("tessera-fetch-{}.graphql", std::process::id()));
    let out_path = out_file.display().to_string();
    let output = tessera(&[
        "compose",
        "--subgraph",
        &users,
        "--subgraph",
        "orders=schema/subgraphs/orders.graphql",
        "--subgraph",
        "inventory=schema/subgraphs/inventory.graphql",
        "--url",
        "inventory=http://inventory.internal/graphql",
        "--out",
        &out_path,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sdl = std::fs::read_to_string(&out_file).expect("written");
    assert!(
        sdl.contains(&format!(
            r#"USERS @join__graph(name: "users", url: "{url}")"#
        )),
        "{sdl}"
    );
    assert!(sdl.contains(r#"url: "http://inventory.internal/graphql""#));
    assert!(sdl.contains(r#"url: "http://127.0.0.1:4002/graphql""#));
    let _ = std::fs::remove_file(&out_file);
}
