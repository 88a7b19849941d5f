//! The `lbipam` binary: [`lbipam_cli::run`] with the real process around it.

fn main() {
    lbipam_cli::process(std::env::args_os());
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
