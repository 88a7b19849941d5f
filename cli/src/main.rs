//! The `lbipam` binary: [`lbipam_cli::run_to`] with the real process around it.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::fd::AsFd;

fn main() {
    let cwd = std::env::current_dir().unwrap_or_default();
    // https://no-color.org: any non-empty NO_COLOR turns color off; so does a pipe.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let env = lbipam_cli::Env {
        cwd,
        color: !no_color && std::io::stdout().is_terminal(),
    };
    // Buffered: `next-free` may print millions of lines; run_to flushes and
    // reports a failed write (a full disk), and a closed pipe ends it quietly.
    let mut stdout: Box<dyn Write> = match is_open(&io::stdout()) {
        true => Box::new(BufWriter::new(io::stdout().lock())),
        false => Box::new(Closed("stdout")),
    };
    let mut stderr: Box<dyn Write> = match is_open(&io::stderr()) {
        true => Box::new(io::stderr().lock()),
        false => Box::new(Closed("stderr")),
    };
    let code = lbipam_cli::run_to(std::env::args_os(), &env, &mut stdout, &mut stderr);
    std::process::exit(code);
}

/// Whether the stream was open when the program started. Rust's runtime puts
/// `/dev/null` (read-write) on a standard stream that was closed, so every
/// write to it would succeed and the output would be lost unsaid: such a stream
/// is taken for closed. A `>/dev/null` of the shell opens it write-only.
fn is_open(stream: &impl AsFd) -> bool {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    let fd = stream.as_fd();
    let Ok(owned) = fd.try_clone_to_owned() else {
        return false;
    };
    let (Ok(meta), Ok(null)) = (
        std::fs::File::from(owned).metadata(),
        std::fs::metadata("/dev/null"),
    ) else {
        return true;
    };
    // SAFETY: F_GETFL only reads the flags of a descriptor we hold open.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    let read_write = flags != -1 && flags & libc::O_ACCMODE == libc::O_RDWR;
    !(read_write && meta.rdev() == null.rdev() && meta.dev() == null.dev())
}

/// A closed standard stream: every write to it fails, naming it.
struct Closed(&'static str);

impl Write for Closed {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other(format!("{} is closed", self.0)))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
