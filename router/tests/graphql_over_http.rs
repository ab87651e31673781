//! GraphQL over HTTP conformance: the `graphql-http` server audit run against the
//! router (Node harness in `tests/graphql-http-audit/`).
//!
//! Spec: GraphQL over HTTP (draft), <https://graphql.github.io/graphql-over-http/draft/>.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The graphql-http audit
// ---------------------------------------------------------------------------

/// The Node harness: package.json pinning `graphql-http`, its lock, `audit.mjs`.
fn audit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graphql-http-audit")
}

/// `CI` set to anything but empty, `0` or `false`.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// What a finished child process left behind.
struct Finished {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn describe(&self) -> String {
        format!(
            "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `command` to completion, killing it after `timeout`. Blocking.
fn run(command: &mut Command, timeout: Duration) -> Result<Finished, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Finished {
        success: status.is_some_and(|s| s.success()),
        status: match status {
            Some(status) => status.to_string(),
            None => format!("killed after {timeout:?}"),
        },
        stdout,
        stderr,
    })
}

fn npm() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

/// Why the audit cannot run here, if `node` or `npm` is missing.
fn missing_tools() -> Option<String> {
    for tool in ["node", npm()] {
        let found = run(Command::new(tool).arg("--version"), Duration::from_secs(60));
        match found {
            Ok(finished) if finished.success => {}
            Ok(finished) => return Some(format!("`{tool} --version` failed: {}", finished.status)),
            Err(error) => return Some(format!("`{tool}` not found: {error}")),
        }
    }
    None
}

fn mtime(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `npm ci` in the harness unless `node_modules` is already installed from the
/// current lock (npm writes `node_modules/.package-lock.json` last). An exclusive
/// file lock keeps concurrent test runs from installing over each other.
fn install_harness(dir: &Path) -> Result<(), String> {
    let lock_path = dir.join(".install.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let fresh = match (
        mtime(&dir.join("package-lock.json")),
        mtime(&dir.join("node_modules/.package-lock.json")),
    ) {
        (Some(lock), Some(installed)) => installed >= lock,
        _ => false,
    };
    let result = if fresh {
        Ok(())
    } else {
        let finished = run(
            Command::new(npm())
                .args([
                    "ci",
                    "--prefer-offline",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                ])
                .current_dir(dir),
            Duration::from_secs(600),
        )?;
        if finished.success {
            Ok(())
        } else {
            Err(format!("npm ci failed: {}", finished.describe()))
        }
    };
    let _ = lock.unlock();
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_http_server_audit_passes() {
    if let Some(reason) = missing_tools() {
        assert!(
            !in_ci(),
            "the GraphQL-over-HTTP audit needs Node.js and npm, which CI must have: {reason}"
        );
        eprintln!(
            "SKIPPED graphql_http_server_audit_passes: {reason}; install Node.js 20+ and npm to run the GraphQL-over-HTTP audit"
        );
        return;
    }
    let dir = audit_dir();
    let install_dir = dir.clone();
    tokio::task::spawn_blocking(move || install_harness(&install_dir))
        .await
        .expect("install task")
        .unwrap_or_else(|reason| panic!("cannot install the audit harness: {reason}"));

    let stack = common::stack().await;
    let url = stack.graphql_url();
    let finished = tokio::task::spawn_blocking(move || {
        run(
            Command::new("node")
                .arg("audit.mjs")
                .arg(&url)
                .current_dir(&dir),
            Duration::from_secs(300),
        )
    })
    .await
    .expect("audit task")
    .unwrap_or_else(|error| panic!("cannot run node: {error}"));
    println!("{}", finished.stdout);
    assert!(
        finished.success,
        "the graphql-http audit found MUST/SHOULD violations ({}):\n{}\n{}",
        finished.status, finished.stdout, finished.stderr
    );
    // The router passes the optional (MAY) audits too; keep it that way.
    let notices: Vec<&str> = finished
        .stdout
        .lines()
        .filter(|line| line.starts_with("notice"))
        .collect();
    assert!(
        notices.is_empty(),
        "MAY audits no longer pass: {notices:#?}\n{}",
        finished.stdout
    );
}
