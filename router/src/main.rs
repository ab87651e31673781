//! The `tessera` binary: a thin shell over [`tessera_router::cli`].

fn main() -> std::process::ExitCode {
    tessera_router::cli::main()
}
