//! The exit codes scripts can rely on: the one table (also in `erkin --help`
//! and the README), and the one place library errors become codes.

use erkin_mirror::{Blame, MirrorError};

/// The command did what it was asked.
pub const SUCCESS: u8 = 0;
/// Something went wrong: bad input, a missing file, a wrong passphrase, a
/// network failure. The message names the cause.
pub const ERROR: u8 = 1;
/// The command line itself was wrong (clap's own code).
pub const USAGE: u8 = 2;
/// A copy is not genuine or not complete: `verify` found a problem, or
/// `mirror` refused a source (tampered, malformed, oversize, a bad bundle),
/// or an evidence file does not prove what it claims.
pub const VERIFY_FAILED: u8 = 3;
/// `mirror` saw the source roll back to an older checkpoint (evidence saved).
pub const ROLLBACK: u8 = 4;
/// `mirror` saw a fork of the log (evidence saved).
pub const FORK: u8 = 5;
/// `mirror` found an entry the rules forbid in the log (evidence saved).
pub const FORBIDDEN_ENTRY: u8 = 6;

/// The code for an error that ended a command: a usage error is
/// [`USAGE`]; a mirror's refusal anywhere in its chain decides; everything
/// else is [`ERROR`].
pub fn of_error(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<clap::Error>().is_some() {
        return USAGE;
    }
    e.chain()
        .find_map(|cause| cause.downcast_ref::<MirrorError>())
        .map_or(ERROR, of_mirror)
}

/// The code for a mirror's failure.
pub fn of_mirror(e: &MirrorError) -> u8 {
    match e.blame() {
        Blame::Rollback => ROLLBACK,
        Blame::Fork => FORK,
        Blame::Misbehaviour => FORBIDDEN_ENTRY,
        Blame::Source => VERIFY_FAILED,
        // A network failure or the copy's own trouble is not the source's
        // fault: try again later.
        _ => ERROR,
    }
}
