//! Builds the storefront (`frontend-contract/storefront`, a Next.js static
//! export) with npm and copies the export and its trusted-documents manifest
//! into `OUT_DIR`; `tessera dev` serves it at `/store/`. npm's cache,
//! `node_modules` and Cargo's change tracking keep rebuilds rare.
//!
//! Without npm (or with `TESSERA_STOREFRONT=off`) the build still succeeds
//! and `tessera dev` says how to get the storefront;
//! `TESSERA_STOREFRONT=require` (CI) makes a failed build an error.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the storefront build reads (only paths that exist are tracked: Cargo
/// would rerun the script on every build for a missing one).
const INPUTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "next.config.ts",
    "next.config.mjs",
    "codegen.ts",
    "postcss.config.mjs",
    "tsconfig.json",
    // Not `src`: codegen writes `src/gql` during the build.
    "src/app",
    "src/components",
    "src/lib",
    "scripts",
    "public",
    "../operations",
    "../../schema/api.graphql",
];

fn main() {
    println!("cargo:rerun-if-env-changed=TESSERA_STOREFRONT");
    let (Some(out), Some(manifest_dir)) = (
        std::env::var_os("OUT_DIR").map(PathBuf::from),
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
    ) else {
        return;
    };
    let storefront = manifest_dir.join("../../frontend-contract/storefront");
    for input in INPUTS {
        let path = storefront.join(input);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let target = out.join("storefront");
    let status = match build(&storefront, &target) {
        Ok(()) => String::new(),
        Err(reason) if std::env::var("TESSERA_STOREFRONT").is_ok_and(|v| v == "require") => {
            panic!("TESSERA_STOREFRONT=require but the storefront could not be built: {reason}");
        }
        Err(reason) => {
            println!(
                "cargo:warning=storefront not built ({reason}); `tessera dev` runs without it"
            );
            let _ = std::fs::remove_dir_all(&target);
            reason
        }
    };
    // Read by `dev.rs`: where the export is, or why there is none.
    println!(
        "cargo:rustc-env=TESSERA_STOREFRONT_DIR={}",
        target.display()
    );
    let _ = std::fs::write(out.join("storefront-missing.txt"), status);
}

fn build(dir: &Path, target: &Path) -> Result<(), String> {
    if std::env::var("TESSERA_STOREFRONT").is_ok_and(|v| v == "off") {
        return Err("TESSERA_STOREFRONT=off".into());
    }
    if !dir.join("package.json").is_file() {
        return Err(format!("no {}", dir.join("package.json").display()));
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let installed = dir.join("node_modules/.package-lock.json");
    if modified(&installed) < modified(&dir.join("package-lock.json")) {
        run(Command::new(npm)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir))
        .map_err(|e| format!("npm ci failed: {e}"))?;
    }
    run(Command::new(npm)
        .args(["run", "build", "--silent"])
        .env("NEXT_TELEMETRY_DISABLED", "1")
        .current_dir(dir))
    .map_err(|e| format!("npm run build failed: {e}"))?;
    let _ = std::fs::remove_dir_all(target);
    copy_dir(&dir.join("out"), &target.join("site")).map_err(|e| format!("copying out/: {e}"))?;
    std::fs::copy(
        dir.join("persisted-documents.json"),
        target.join("persisted-documents.json"),
    )
    .map_err(|e| format!("copying persisted-documents.json: {e}"))?;
    Ok(())
}

/// A missing file is older than any other.
fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(&path, to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| e.to_string())?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let tail: Vec<&str> = text.lines().rev().take(8).collect();
    Err(tail.into_iter().rev().collect::<Vec<_>>().join(" | "))
}
