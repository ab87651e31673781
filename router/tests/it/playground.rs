//! The GraphiQL playground at `/`, served from assets embedded at build time.

use crate::common;

#[tokio::test]
async fn playground_page_and_assets_are_served() {
    let stack = common::stack().await;
    let base = format!("http://{}", stack.router.local_addr());
    let page = stack
        .http
        .get(format!("{base}/"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
    let html = page.text().await.expect("html");
    if tessera_router::internals::is_bundled() {
        assert!(html.contains("playground/playground.js"), "{html}");
        let js = stack
            .http
            .get(format!("{base}/playground/playground.js"))
            .send()
            .await
            .expect("js");
        assert_eq!(js.status().as_u16(), 200);
        assert!(
            js.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/javascript")
        );
        let body = js.text().await.expect("js body");
        assert!(body.len() > 100_000, "the bundle is embedded");
        assert!(body.contains("graphiql"));
        let css = stack
            .http
            .get(format!("{base}/playground/playground.css"))
            .send()
            .await
            .expect("css");
        assert_eq!(css.status().as_u16(), 200);
    } else {
        // Built without npm: the page says how to get the full playground.
        assert!(html.contains("install Node.js with npm"), "{html}");
    }
}

/// A directory served as a static export under a path (`static_files`): the
/// storefront next to `/graphql`, same origin.
#[tokio::test]
async fn static_files_are_served_under_their_path() {
    let dir = std::env::temp_dir().join(format!("tessera-static-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("product")).expect("dir");
    std::fs::write(dir.join("index.html"), "<h1>catalogue</h1>").expect("write");
    std::fs::write(dir.join("product/index.html"), "<h1>product</h1>").expect("write");
    std::fs::write(dir.join("app.js"), "console.log(1)").expect("write");
    std::fs::write(dir.join("404.html"), "<h1>no such page</h1>").expect("write");
    let mount_dir = dir.clone();
    let stack = common::stack_with(move |config, _| {
        config.static_files = vec![tessera_router::config::StaticFiles {
            path: "/store".into(),
            dir: mount_dir,
        }];
    })
    .await;
    let base = format!("http://{}", stack.router.local_addr());
    let get = |path: &str| {
        let request = stack.http.get(format!("{base}{path}"));
        async move {
            let response = request.send().await.expect("reachable");
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (status, kind, response.text().await.expect("body"))
        }
    };
    let (status, kind, body) = get("/store/").await;
    assert_eq!((status, body.as_str()), (200, "<h1>catalogue</h1>"));
    assert!(kind.starts_with("text/html"), "{kind}");
    // Without the slash: redirected to the directory (reqwest follows).
    let (status, _, body) = get("/store").await;
    assert_eq!((status, body.as_str()), (200, "<h1>catalogue</h1>"));
    let (status, _, body) = get("/store/product/?id=3").await;
    assert_eq!((status, body.as_str()), (200, "<h1>product</h1>"));
    let (status, kind, _) = get("/store/app.js").await;
    assert_eq!(status, 200);
    assert!(kind.contains("javascript"), "{kind}");
    let (status, _, body) = get("/store/nothing-here/").await;
    assert_eq!((status, body.as_str()), (404, "<h1>no such page</h1>"));
    let (status, _, body) = get("/store/..%2F..%2Fetc%2Fpasswd").await;
    assert!(status == 404 || status == 400, "{status} {body}");
    assert!(!body.contains("root:"), "{body}");
    // The router's own paths stay the router's.
    let (status, _, body) = get("/graphql?query=%7B__typename%7D").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Query"), "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn static_file_mounts_that_cannot_work_are_refused_at_start() {
    let sdl = common::supergraph_sdl(&common::Urls {
        accounts: "http://127.0.0.1:9/".into(),
        inventory: "http://127.0.0.1:9/".into(),
        products: "http://127.0.0.1:9/".into(),
        reviews: "http://127.0.0.1:9/".into(),
    });
    let existing = std::env::temp_dir();
    for (path, dir, expected) in [
        ("/graphql", existing.clone(), "router's own"),
        ("/", existing.clone(), "absolute path below /"),
        ("store", existing.clone(), "absolute path below /"),
        (
            "/store",
            existing.join("tessera-no-such-dir"),
            "not a directory",
        ),
    ] {
        let mut config = common::test_config();
        config.static_files = vec![tessera_router::config::StaticFiles {
            path: path.into(),
            dir,
        }];
        let error = tessera_router::build_app(config, &sdl)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains(expected), "{path}: {error}");
    }
}
