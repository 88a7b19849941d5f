//! The `lbipam` binary: [`lbipam_cli::run`] with the real process around it.

use std::io::{IsTerminal, Write};

fn main() {
    let cwd = std::env::current_dir().unwrap_or_default();
    // https://no-color.org: any non-empty NO_COLOR turns color off; so does a pipe.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let env = lbipam_cli::Env {
        cwd,
        color: !no_color && std::io::stdout().is_terminal(),
    };
    let out = lbipam_cli::run(std::env::args_os(), &env);
    // A closed pipe (`lbipam report | head`) is not worth a panic.
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    std::process::exit(out.code);
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
