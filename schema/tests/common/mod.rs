//! Shared test helpers: golden files rewritten with `UPDATE_EXPECT=1`.

use std::path::Path;

/// Compares `actual` with the file at `path`; with `UPDATE_EXPECT=1` rewrites the file
/// instead. Mismatches are pushed onto `failures` (so one run reports every case).
pub fn check_expect(path: &Path, actual: &str, failures: &mut Vec<String>) {
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    if update {
        if let Err(e) = std::fs::write(path, actual) {
            failures.push(format!("cannot write {}: {e}", path.display()));
        }
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{} is stale (rerun with UPDATE_EXPECT=1 to accept):\n{}",
            path.display(),
            line_diff(&expected, actual)
        )),
        Err(_) => failures.push(format!(
            "{} is missing (rerun with UPDATE_EXPECT=1 to create it); actual:\n{actual}",
            path.display()
        )),
    }
}

/// A minimal line diff: lines only in expected (`-`) and only in actual (`+`).
pub fn line_diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for line in &e {
        if !a.contains(line) {
            out.push_str(&format!("- {line}\n"));
        }
    }
    for line in &a {
        if !e.contains(line) {
            out.push_str(&format!("+ {line}\n"));
        }
    }
    if out.is_empty() {
        out.push_str("(same lines, different order or whitespace)\n");
    }
    out
}
