//! `erkin`: the command line. Argument parsing and human-facing output only;
//! every rule lives in `erkin-core`, every byte on disk in `erkin-store`.

mod articles;
mod cli;
mod commands;
mod copies;
mod demo;
mod desk;
mod govern;
mod secret;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes scripts can rely on (also listed in `erkin --help`).
pub mod exit {
    /// Something went wrong: bad input, a missing file, a wrong passphrase.
    pub const ERROR: u8 = 1;
    /// The command line itself was wrong (clap's own code).
    pub const USAGE: u8 = 2;
    /// `erkin verify` found the copy is not genuine or not complete.
    pub const VERIFY_FAILED: u8 = 3;
}

/// Prints a line to stdout. A closed pipe (`erkin log | head`) ends the
/// program quietly instead of panicking, as Unix tools do.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}
pub(crate) use outln;

pub fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("erkin: error: writing output: {e}");
        std::process::exit(i32::from(exit::ERROR));
    }
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    desk::set_server(cli.server.clone());
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("erkin: error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
