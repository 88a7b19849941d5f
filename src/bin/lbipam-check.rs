//! `lbipam-check [ARGS]`: `lbipam check [ARGS]`, for pre-commit. Its `language:
//! rust` installs the binaries of this repository's root package (`cargo
//! install --bins --path .`), while `lbipam` itself is the `cli/` package's; a
//! second binary named `lbipam` here would collide with it in `target/`.

fn main() {
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_else(|| "lbipam-check".into());
    lbipam_cli::process([program, "check".into()].into_iter().chain(args));
}
