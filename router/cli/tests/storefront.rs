//! The storefront in a real browser: `tessera dev` on free ports and fresh
//! databases, then the journey (`frontend-contract/storefront/e2e/journey.mjs`,
//! playwright-core driving Chromium) against it: the playground, sign-up,
//! catalogue, cart, order, stock, cancel, the short-stock error, axe on every
//! page. Screenshots land in `target/storefront-journey/`.
//!
//! Needs what the storefront build needs (npm, Node 20+) and Chromium
//! (`/usr/bin/chromium`, or `CHROMIUM`). Without them the test says so and
//! passes, except under `CI` (set by CI), where a missing piece fails it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// `Err(why)` when something the journey needs is missing.
fn prerequisites() -> Result<(tessera_cli::dev::Storefront, PathBuf), String> {
    let storefront = tessera_cli::dev::Storefront::built()
        .map_err(|why| format!("the storefront is not built: {why}"))?;
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        return Err(format!(
            "no Chromium at {} (apt-get install chromium, or set CHROMIUM)",
            chromium.display()
        ));
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("no node on PATH".into());
    }
    Ok((storefront, chromium))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storefront_journey_passes_in_a_real_browser() {
    let (storefront, chromium) = match prerequisites() {
        Ok(found) => found,
        Err(why) if std::env::var_os("CI").is_some() => panic!("CI must run the journey: {why}"),
        Err(why) => {
            eprintln!("skipping the browser journey: {why}");
            return;
        }
    };
    let data_dir = std::env::temp_dir().join(format!(
        "tessera-storefront-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let platform = tessera_cli::dev::start(&tessera_cli::dev::DevOptions {
        storefront: Some(storefront),
        ..tessera_cli::dev::DevOptions::on_free_ports(data_dir.clone())
    })
    .await
    .expect("the dev platform starts");
    let base = format!("http://{}", platform.router.local_addr());
    let screenshots = repo().join("target/storefront-journey");
    let journey = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["e2e/journey.mjs", "--base", &base, "--screenshots"])
            .arg(&screenshots)
            .env("CHROMIUM", &chromium)
            .current_dir(repo().join("frontend-contract/storefront"))
            .output()
    });
    let output = tokio::time::timeout(std::time::Duration::from_secs(600), journey)
        .await
        .expect("the journey finishes within 10 minutes")
        .expect("joined")
        .expect("node runs");
    platform.stop().await;
    let _ = std::fs::remove_dir_all(&data_dir);
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the browser journey failed:\n{log}"
    );
    eprintln!("{log}");
}

/// Runs `npm <args>` in the storefront; `None` when npm is missing (outside CI).
fn npm(args: &[&str], envs: &[(&str, &std::ffi::OsStr)]) -> Option<std::process::Output> {
    let dir = repo().join("frontend-contract/storefront");
    let mut command = Command::new(if cfg!(windows) { "npm.cmd" } else { "npm" });
    command.args(args).current_dir(&dir);
    for (key, value) in envs {
        command.env(key, value);
    }
    match command.output() {
        Ok(output) => Some(output),
        Err(error) if std::env::var_os("CI").is_some() => panic!("CI must have npm: {error}"),
        Err(error) => {
            eprintln!("skipping: npm does not run ({error})");
            None
        }
    }
}

fn storefront_installed() -> bool {
    let installed = repo().join("frontend-contract/storefront/node_modules/.bin/graphql-codegen");
    if installed.is_file() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have the storefront installed (the tessera-cli build runs npm ci)"
    );
    eprintln!("skipping: the storefront's node_modules are not installed");
    false
}

/// The storefront's unit tests (Vitest) and type check, from the README's
/// test command.
#[test]
fn the_storefront_unit_tests_pass() {
    if !storefront_installed() {
        return;
    }
    let Some(output) = npm(&["test", "--silent"], &[]) else {
        return;
    };
    assert!(
        output.status.success(),
        "npm test failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A schema change that breaks an operation the storefront sends breaks the
/// storefront's build (as it breaks `tessera check`): the API schema with
/// `Product.priceCents` renamed fails code generation.
#[test]
fn a_schema_change_breaking_an_operation_breaks_the_storefront_build() {
    if !storefront_installed() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tessera-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let api = std::fs::read_to_string(repo().join("schema/api.graphql")).expect("api schema");
    // Product's own field (other types have a `priceCents` too).
    let product = api
        .find("\ntype Product ")
        .expect("schema/api.graphql has Product");
    let field = product
        + api[product..]
            .find("\n  priceCents: Int!")
            .expect("schema/api.graphql has Product.priceCents");
    let mut changed = api.clone();
    changed.replace_range(field..field + "\n  priceCents".len(), "\n  priceInCents");
    assert_ne!(api, changed);
    let schema = dir.join("api.graphql");
    std::fs::write(&schema, changed).expect("write");
    let out = dir.join("gql/");
    let envs = [
        ("TESSERA_API_SCHEMA", schema.as_os_str()),
        ("TESSERA_CODEGEN_OUT", out.as_os_str()),
    ];
    // The unchanged schema generates (the check below is not vacuous).
    let unchanged = repo().join("schema/api.graphql");
    let Some(ok) = npm(
        &["exec", "--", "graphql-codegen", "--config", "codegen.ts"],
        &[
            ("TESSERA_API_SCHEMA", unchanged.as_os_str()),
            ("TESSERA_CODEGEN_OUT", out.as_os_str()),
        ],
    ) else {
        return;
    };
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let Some(broken) = npm(
        &["exec", "--", "graphql-codegen", "--config", "codegen.ts"],
        &envs,
    ) else {
        return;
    };
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&broken.stdout),
        String::from_utf8_lossy(&broken.stderr)
    );
    assert!(
        !broken.status.success(),
        "codegen accepted the broken schema:\n{log}"
    );
    assert!(log.contains("priceCents"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
