//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 error (the message names the cause and the fix); \
2 usage error; 3 `verify` found the copy is not genuine or not complete.

Passphrases: erkin asks on the terminal, or reads ERKIN_PASSPHRASE (for scripts).";

#[derive(Debug, Parser)]
#[command(name = "erkin", version, about = "A free press in one binary: a cooperative newsroom whose whole publication is a signed, verifiable log.", after_help = AFTER_HELP)]
pub struct Cli {
    /// The publication's data directory.
    #[arg(long, global = true, env = "ERKIN_DIR", default_value = "erkin-data")]
    pub dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Found a demo publication, export it and verify the export.
    Demo(DemoArgs),
    /// Make or inspect member keys (encrypted at rest with a passphrase).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Found a publication from its founders' verifier keys.
    Init(InitArgs),
    /// List the log's entries.
    Log(LogArgs),
    /// Record a signed statement by a member (signed locally with --key).
    Statement(StatementArgs),
    /// Write the static copy (log, blobs, erkin.json) into a directory.
    Export(ExportArgs),
    /// Check a copy (a data directory or an exported directory) against a pinned key.
    Verify(VerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new member key; prints its verifier key.
    New {
        /// Where to write the encrypted key (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// The key's name: your public handle in the publication (a pseudonym is fine).
        #[arg(long, default_value = "member")]
        name: String,
    },
    /// Print the verifier key of a key file.
    Show { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The publication's origin: a scheme-less URL-like name, e.g. news.example.kz/erkin.
    #[arg(long)]
    pub origin: String,
    /// The publication's human name.
    #[arg(long)]
    pub name: String,
    /// A founder's verifier key (repeat for each founder; the key name is their handle).
    #[arg(long = "founder", required = true)]
    pub founders: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Print JSON (one array of entries) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatementArgs {
    /// The member's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// The statement's text.
    pub text: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The output directory (created if needed; updated incrementally).
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A data directory or an exported directory.
    pub source: PathBuf,
    /// The publication's verifier key, from a channel you trust (not from the copy).
    #[arg(long)]
    pub key: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo publication (default: a fresh directory under the system temp dir).
    #[arg(long = "into")]
    pub into: Option<PathBuf>,
}
