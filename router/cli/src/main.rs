//! The `tessera` binary: a thin shell over [`tessera_cli::cli`].

/// mimalloc instead of the system allocator: request handling allocates many
/// small, short-lived JSON nodes across threads, where glibc malloc's arena
/// locking and consolidation showed up as ~25% of the router's profile
/// (`router/bench/README.md`). Built without transparent huge pages
/// (the workspace's `no_thp` feature): they cost RSS and gained nothing
/// clearly measurable here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tessera_cli::cli::main()
}
