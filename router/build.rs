//! Builds the GraphiQL playground from the `graphiql` npm package (see
//! `playground/package.json`) and leaves the bundle in `OUT_DIR`, where
//! `src/playground.rs` embeds it: the binary serves it with no network at run
//! time. npm's cache and `playground/node_modules` make rebuilds quick.
//!
//! Without npm (or with `TESSERA_PLAYGROUND=off`) the build still succeeds; the
//! page then says how to get the full playground. `TESSERA_PLAYGROUND=require`
//! (CI) makes a failed bundle a build error instead.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=playground/package.json");
    println!("cargo:rerun-if-changed=playground/package-lock.json");
    println!("cargo:rerun-if-changed=playground/src");
    println!("cargo:rerun-if-env-changed=TESSERA_PLAYGROUND");
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let status = match build(&manifest.join("playground"), &out) {
        Ok(()) => String::new(),
        Err(reason) if std::env::var("TESSERA_PLAYGROUND").is_ok_and(|v| v == "require") => {
            panic!(
                "TESSERA_PLAYGROUND=require but the GraphiQL playground could not be bundled: {reason}"
            );
        }
        Err(reason) => {
            println!(
                "cargo:warning=GraphiQL playground not bundled ({reason}); the router serves a fallback page"
            );
            for name in ["playground.js", "playground.css"] {
                let _ = std::fs::write(out.join(name), "");
            }
            reason
        }
    };
    let _ = std::fs::write(out.join("playground-missing.txt"), status);
}

fn build(dir: &Path, out: &Path) -> Result<(), String> {
    if std::env::var("TESSERA_PLAYGROUND").is_ok_and(|v| v == "off") {
        return Err("TESSERA_PLAYGROUND=off".into());
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (mtime(&lock), mtime(&installed)) {
        (Some(l), Some(i)) => i >= l,
        _ => false,
    };
    if !fresh {
        run(Command::new(npm)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir))
        .map_err(|e| format!("npm ci failed: {e}"))?;
    }
    let esbuild = dir.join("node_modules/.bin/esbuild");
    let outfile = out.join("playground.js");
    run(Command::new(esbuild)
        .args([
            "src/main.jsx",
            "--bundle",
            "--minify",
            "--format=iife",
            "--target=es2020",
            "--log-level=error",
            "--define:process.env.NODE_ENV=\"production\"",
        ])
        .arg(format!("--outfile={}", outfile.display()))
        .current_dir(dir))
    .map_err(|e| format!("esbuild failed: {e}"))
}

fn mtime(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(stderr.lines().last().unwrap_or("no output").to_owned())
    }
}
