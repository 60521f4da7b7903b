//! The terminal side of every command: the clock, how times are written,
//! stdout (closed pipes, JSON), and progress bars on stderr.
//!
//! Every command file imports from here and nothing here imports a command,
//! so the CLI's modules form no circle.

use std::io::IsTerminal as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::exit;

/// Now, in Unix seconds: the one clock of the command line (and of
/// `erkin serve`'s sequencer).
pub fn now() -> u64 {
    let system = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    system.saturating_add_signed(test_clock_offset())
}

/// For the suite only, and only in debug builds: a file named by
/// `ERKIN_TEST_CLOCK_FILE` holds seconds added to the system clock, read on
/// every call, so a test can move a running server's and the command
/// line's time past a deadline of days without waiting. A release build
/// ignores it: its clock is the system's.
pub const TEST_CLOCK_ENV: &str = "ERKIN_TEST_CLOCK_FILE";

#[cfg(debug_assertions)]
fn test_clock_offset() -> i64 {
    std::env::var_os(TEST_CLOCK_ENV)
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(not(debug_assertions))]
fn test_clock_offset() -> i64 {
    0
}

/// Whether the clock is moved by [`TEST_CLOCK_ENV`] (debug builds only).
pub fn test_clock() -> bool {
    cfg!(debug_assertions) && std::env::var_os(TEST_CLOCK_ENV).is_some()
}

/// A Unix time as RFC 3339 in UTC, to the second (`2026-10-05T09:00:00Z`).
pub fn time(t: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(t)).to_string()
}

/// Prints a line to stdout. A closed pipe (`erkin log | head`) ends the
/// program quietly instead of panicking, as Unix tools do.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::term::write_stdout(format_args!($($arg)*))
    };
}
pub(crate) use outln;

pub fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(exit::SUCCESS));
        }
        eprintln!("erkin: error: writing output: {e}");
        std::process::exit(i32::from(exit::ERROR));
    }
}

/// Prints `value` as one pretty JSON document on stdout (`--json`).
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A progress bar on stderr when stderr is a terminal; hidden otherwise, so
/// scripts and logs see only results. `len`: the total, when known.
pub fn progress(len: Option<u64>, what: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {pos} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(what);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// `arg` as one word for a POSIX shell: as it is when it is plain, else in
/// single quotes. For the commands the demo prints.
pub fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:=,@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
