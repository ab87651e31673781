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
