//! The command-line grammar. Each command carries the options it uses
//! (`--dir`, `--server`, `--key`, `--json`); nothing is global.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 error (the message names the cause and the fix); \
2 usage error; 3 `verify` found the copy is not genuine or not complete, or \
`mirror` refused a source (tampered, malformed, oversize, bad bundle); \
4 `mirror` saw a rollback, 5 a fork, 6 an entry the rules forbid (evidence saved).

Passphrases: erkin asks on the terminal, or reads ERKIN_PASSPHRASE (for scripts).
The data directory: a command's --dir, else ERKIN_DIR, else ./erkin-data.";

/// Read when a command's `--dir` is not given.
pub const DIR_ENV: &str = "ERKIN_DIR";
/// Read when a command's `--server` is not given.
pub const SERVER_ENV: &str = "ERKIN_SERVER";
/// The data directory when neither `--dir` nor `ERKIN_DIR` names one.
pub const DEFAULT_DIR: &str = "erkin-data";

#[derive(Debug, Parser)]
#[command(name = "erkin", version, about = "A free press in one binary: a cooperative newsroom whose whole publication is a signed, verifiable log.", after_help = AFTER_HELP)]
pub struct Cli {
    /// The same as the command's own --dir, written before the command
    /// (`erkin --dir D log`). Commands without a data directory ignore it.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The same as the command's own --server, written before the command.
    /// Refused for commands that do not act on a server.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// A command that works on a data directory.
#[derive(Debug, Args)]
pub struct DirArgs {
    /// The publication's data directory [default: $ERKIN_DIR, else ./erkin-data].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// A command that works on a data directory, or on a newsroom server
/// through the member's local copy.
#[derive(Debug, Default, Args)]
pub struct PlaceArgs {
    /// The publication's data directory; with --server, your local, verified
    /// copy of the server's publication [default: $ERKIN_DIR, else ./erkin-data].
    #[arg(long, value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
    /// Act on a newsroom server over HTTP instead of a local data directory:
    /// entries are signed here and sent to it; the server never sees your
    /// key [default: $ERKIN_SERVER].
    #[arg(long, value_name = "URL", global = true)]
    pub server: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Found a demo publication, export it and verify the export.
    Demo(DemoArgs),
    /// Make or inspect member keys (encrypted at rest with a passphrase).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Make, show or register your ballot key for secret votes (kept in its
    /// own encrypted file, apart from your member key: docs/BALLOT.md).
    #[command(subcommand)]
    BallotKey(BallotKeyCommand),
    /// Found a publication from its founders' verifier keys.
    Init(InitArgs),
    /// List the log's entries.
    Log(LogArgs),
    /// Record a signed statement by a member (signed locally with --key).
    Statement(StatementArgs),
    /// Publish an article from a Markdown file with front matter (editors).
    Publish(PublishArgs),
    /// Publish a corrected revision of an article, with a public note (editors).
    Correct(CorrectArgs),
    /// Publish every Markdown file (Hugo/Jekyll front matter) below a directory.
    Import(ImportArgs),
    /// Sign and submit a file of actions, one command line per line
    /// (`statement "..."`, `publish a.md`, `vote 12 yes`, ...): each key is
    /// opened once for the whole file.
    Batch(BatchArgs),
    /// Put a motion to the members' vote.
    Propose(ProposeArgs),
    /// Vote on a proposal: yes, no or abstain, or --rank for elections.
    Vote(VoteArgs),
    /// Close a proposal after its deadline (or once everyone has voted) and carry it out.
    Close(CloseArgs),
    /// Nominate a member (or yourself) in an election, before its nomination deadline.
    Nominate(NominateArgs),
    /// Consent to stand in an election you were nominated in.
    Consent(ConsentArgs),
    /// List proposals, open and decided, with their tallies.
    Proposals(ListArgs),
    /// List the members.
    Members(ListArgs),
    /// Show the editorial board.
    Board(ListArgs),
    /// Show the charter (the decision rules).
    Charter(CharterArgs),
    /// Show a proposal's count; --blt writes an election's ballots for recounting.
    Tally(TallyArgs),
    /// Replace your key with a new one (signed by the old key).
    RotateKey(RotateKeyArgs),
    /// Leave the publication.
    Resign(SignerArgs),
    /// Give up your seat on the editorial board and stay a member.
    StepDown(SignerArgs),
    /// The publication's signed mirror list: list, add, remove (editors).
    #[command(subcommand)]
    Mirrors(MirrorsCommand),
    /// Read a publication: find a working, genuine copy (or take a bundle),
    /// keep it on this device and open it in the browser.
    Read(crate::read::ReadArgs),
    /// Measure how each known copy is reached (DNS, TCP, TLS, HTTP, the
    /// content) and document blocking: OONI-shaped JSON, --html a report.
    Probe(crate::read::ProbeArgs),
    /// Serve the reader site, the JSON API and the log over HTTP. Pages are
    /// read from the static copy it keeps rendered in DIR/site/.
    Serve(ServeArgs),
    /// Write the static copy (log, blobs, erkin.json) into a directory.
    Export(ExportArgs),
    /// Check a copy (a data directory or an exported directory) against a pinned key.
    Verify(VerifyArgs),
    /// Copy a publication from a URL, a directory or a bundle, verifying everything.
    Mirror(MirrorArgs),
    /// Write a one-file offline copy (.tar.gz): the site to read and the log to mirror.
    Bundle(BundleArgs),
    /// Check an evidence file (of a rollback, fork or forbidden entry) against the log key.
    Evidence(EvidenceArgs),
    /// The source inbox: tip readers' keys, fetching tips, replying (docs/TIPS.md).
    #[command(subcommand)]
    Tips(TipsCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into --out.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write erkin.1 and a page per command (erkin-log.1, ...) into this
    /// directory instead of printing erkin.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// Where to copy from: an http(s) URL of a copy, a directory (a static
    /// copy or a data directory), or a bundle file. Default: the source the
    /// mirror recorded on its last sync.
    pub source: Option<String>,
    /// The mirror directory (a data directory without a log key, with the
    /// static copy in site/), or `s3://BUCKET/PREFIX`: the static copy is
    /// kept in object storage (uploaded incrementally, checkpoint last) and
    /// the verified data directory in --copy.
    #[arg(long)]
    pub into: PathBuf,
    /// With --into s3://…: the mirror's verified data directory, kept
    /// between runs so each run fetches and uploads only what is new.
    #[arg(long, value_name = "DIR")]
    pub copy: Option<PathBuf>,
    #[command(flatten)]
    pub s3: S3Args,
    /// The publication's verifier key, to pin on the first sync. Without it
    /// the key the source names is trusted on first use (with a warning).
    #[arg(long)]
    pub key: Option<String>,
    /// Do not keep a static copy in site/.
    #[arg(long)]
    pub no_site: bool,
    /// Seconds one HTTP request may take before it is retried.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Retries of a failed HTTP request (with backoff).
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// HTTP requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The largest blob to accept, in bytes.
    #[arg(long, default_value_t = erkin_core::blob::DEFAULT_MAX_BLOB_LEN)]
    pub max_blob_size: u64,
    /// The most entries one sync (or bundle) may add. A signed checkpoint
    /// claiming more is refused, with evidence, before anything else is
    /// fetched.
    #[arg(long, default_value_t = erkin_core::sync::DEFAULT_MAX_GROWTH)]
    pub max_growth: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    #[command(flatten)]
    pub data: DirArgs,
    /// The bundle file to write (.tar.gz).
    pub out: PathBuf,
    /// Only what a copy holding SIZE entries lacks (log and blobs, no pages).
    #[arg(long, default_value_t = 0)]
    pub since: u64,
}

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The evidence file (from a mirror's evidence/ directory).
    pub file: PathBuf,
    /// The log's verifier key, from a trusted channel. Default: the one in the file.
    #[arg(long)]
    pub key: Option<String>,
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

#[derive(Debug, Subcommand)]
pub enum BallotKeyCommand {
    /// Make a new ballot secret (32 random bytes, encrypted with a
    /// passphrase); prints its ballot key. Keep it apart from your member
    /// key: whoever holds it can find your secret ballots.
    New {
        /// Where to write the encrypted ballot secret (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the ballot key of a ballot secret file.
    Show { file: PathBuf },
    /// Register the ballot key with the publication (a `ballot_key` entry
    /// signed with your member key), for secret votes on proposals made
    /// from then on.
    Register(BallotKeyRegisterArgs),
}

#[derive(Debug, Args)]
pub struct BallotKeyRegisterArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file (signs the registration).
    #[arg(long)]
    pub key: PathBuf,
    /// Your ballot secret file (`erkin ballot-key new`).
    #[arg(long = "ballot-key")]
    pub ballot_key: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub data: DirArgs,
    /// The publication's origin: a scheme-less URL-like name, e.g. news.example.kz/erkin.
    #[arg(long)]
    pub origin: String,
    /// The publication's human name.
    #[arg(long)]
    pub name: String,
    /// A founder's verifier key (repeat for each founder; the key name is their handle).
    #[arg(long = "founder", required = true)]
    pub founders: Vec<String>,
    /// The charter as TOML (see `erkin charter --toml` for the defaults).
    #[arg(long)]
    pub charter: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file (you must be an editor).
    #[arg(long)]
    pub key: PathBuf,
    /// The article: Markdown with front matter (title, slug, lang, summary, tags, authors).
    pub file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CorrectArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file (you must be an editor).
    #[arg(long)]
    pub key: PathBuf,
    /// The article to correct.
    pub slug: String,
    /// The corrected article file.
    pub file: PathBuf,
    /// The public correction note (or `correction:` in the front matter).
    #[arg(long)]
    pub note: Option<String>,
    /// A major correction, shown at the top of the article.
    #[arg(long)]
    pub major: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file (you must be an editor).
    #[arg(long)]
    pub key: PathBuf,
    /// The directory to import (searched recursively for .md files).
    pub root: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each line of FILE is one action, written as the arguments of the command it \
stands for, with shell quoting: statement, publish, correct, propose, vote, \
close, nominate, consent, resign, step-down (e.g. `vote 12 yes`, \
`publish --key alibek.key a.md`). A line without --key is signed with this \
command's --key. Blank lines and lines starting with # are skipped. Every \
line is read and checked, and its files read, before anything is submitted: \
a malformed line is reported by its number and nothing lands. The actions \
are then submitted in order, each in turn; the first refused stops the \
batch, and the error names its line and the lines that landed before it.")]
pub struct BatchArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// The member key file that signs the lines without a --key of their own.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// The file of actions, one per line (`-`: standard input).
    pub file: PathBuf,
    /// Print the entries recorded as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One line of a batch file: the arguments of the command it stands for.
#[derive(Debug, Parser)]
#[command(
    name = "line",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
pub struct BatchLine {
    #[command(subcommand)]
    pub command: LineCommand,
}

/// The commands a batch line may stand for: those that sign one entry.
#[derive(Debug, Subcommand)]
pub enum LineCommand {
    Statement(StatementArgs),
    Publish(PublishArgs),
    Correct(CorrectArgs),
    Propose(ProposeArgs),
    Vote(VoteArgs),
    Close(CloseArgs),
    Nominate(NominateArgs),
    Consent(ConsentArgs),
    Resign(SignerArgs),
    StepDown(SignerArgs),
}

#[derive(Debug, Args)]
pub struct SignerArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file.
    #[arg(long)]
    pub key: PathBuf,
}

#[derive(Debug, Args)]
pub struct ProposeArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file.
    #[arg(long)]
    pub key: PathBuf,
    /// A short title for the proposal.
    #[arg(long)]
    pub title: String,
    /// Voting period in hours (default: the charter's minimum for this
    /// kind); for an election, counted from the nomination deadline.
    #[arg(long)]
    pub hours: Option<u32>,
    /// For elections: the nomination period in hours (default: the
    /// charter's minimum); ballots are cast after it.
    #[arg(long)]
    pub nomination_hours: Option<u32>,
    /// Print the result as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub motion: MotionArgs,
}

#[derive(Debug, Subcommand)]
pub enum MotionArgs {
    /// Admit a new member by their verifier key.
    Admit {
        /// The new member's verifier key (its name is their handle).
        member_key: String,
    },
    /// Remove a member.
    Remove { handle: String },
    /// Elect the whole editorial board by single transferable vote; members
    /// nominate candidates (`erkin nominate`) until the nomination deadline.
    Elect,
    /// Fill vacant board seats by single transferable vote; the sitting
    /// editors keep theirs.
    ByElection {
        /// How many vacant seats to fill.
        #[arg(long)]
        seats: u32,
    },
    /// Recall an editor from the board (they stay a member).
    Recall { handle: String },
    /// Replace the charter with the one in a TOML file.
    Amend { charter: PathBuf },
    /// Retract an article (it stays readable under a notice).
    Retract {
        article: String,
        #[arg(long)]
        reason: String,
    },
    /// Redact an article or blob (its content is deleted everywhere).
    Redact {
        target: String,
        #[arg(long)]
        reason: String,
    },
    /// Any other decision, in words.
    Resolution { text: String },
    /// Designate the tip readers, who read the source inbox: the office
    /// becomes exactly these members (none: nobody).
    TipReaders { handles: Vec<String> },
}

#[derive(Debug, Args)]
pub struct VoteArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// The proposal's number.
    pub proposal: u64,
    /// yes, no or abstain (for elections, use --rank, or abstain).
    pub choice: Option<String>,
    /// For elections: candidates in order of preference, comma-separated;
    /// `+reopen` stands for "re-open nominations".
    #[arg(long, value_delimiter = ',')]
    pub rank: Option<Vec<String>>,
    /// Your member key file (signs an open vote; for a secret ballot, only
    /// where your ballot secret is found by default).
    #[arg(long, required_unless_present = "ballot_key")]
    pub key: Option<PathBuf>,
    /// A secret ballot: your ballot secret file [default: ballot.age beside
    /// --key]. The proposal decides: a secret one gets an anonymous ballot,
    /// never a signed vote.
    #[arg(long = "ballot-key", value_name = "FILE")]
    pub ballot_key: Option<PathBuf>,
    /// A secret ballot goes through this SOCKS5 proxy, socks5h://HOST:PORT
    /// only (Tor: socks5h://127.0.0.1:9050), with fresh credentials for each
    /// ballot so that Tor sends it on its own circuit; so does the sync of
    /// your copy before it, on credentials of its own. For secret ballots
    /// only: an open vote is signed and published under your name and goes
    /// direct ($ERKIN_BALLOT_PROXY is ignored for it), but if your copy
    /// does not have the proposal yet, that sync goes through the proxy
    /// [default: $ERKIN_BALLOT_PROXY; none: the server sees your address].
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// A secret ballot is sent here instead of --server: the server's other
    /// address, e.g. its onion address (the tips listener takes ballots too).
    #[arg(long = "ballot-server", value_name = "URL")]
    pub ballot_server: Option<String>,
    /// Save the server's signed receipt for your secret ballot here (it
    /// holds the ballot's hash: keep it private; never printed otherwise).
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NominateArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// The election's proposal number.
    pub proposal: u64,
    /// The member to nominate (your own handle to stand yourself).
    pub handle: String,
    /// Your member key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConsentArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// The election's proposal number.
    pub proposal: u64,
    /// Your member key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    pub proposal: u64,
    /// Your member key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CharterArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with = "toml")]
    pub json: bool,
    /// Print TOML, as `init --charter` and `propose amend` read it.
    #[arg(long)]
    pub toml: bool,
    /// Show the default charter instead of this publication's.
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Args)]
pub struct TallyArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    pub proposal: u64,
    /// Write the election's ballots in BLT format (anonymised) for recounting.
    #[arg(long)]
    pub blt: bool,
    /// List every ballot a secret vote's close published (nullifier, epoch,
    /// seq, choice, counted or superseded), to recount by hand.
    #[arg(long, conflicts_with = "blt")]
    pub ballots: bool,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with_all = ["blt", "ballots"])]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your current key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the new key (same handle; never overwritten).
    #[arg(long)]
    pub new: PathBuf,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Print JSON (one array of entries) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatementArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// The member's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// The statement's text.
    pub text: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub data: DirArgs,
    /// The output directory (created if needed; updated incrementally), or
    /// `s3://BUCKET/PREFIX` for S3-compatible object storage (credentials and
    /// region from the AWS_* environment variables).
    pub out: PathBuf,
    #[command(flatten)]
    pub s3: S3Args,
    /// Render the whole site and check every file of the directory against
    /// it (repairs files changed or cut short since the last export). By
    /// default only what the entries since the last export can alter is
    /// rendered.
    #[arg(long)]
    pub full: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// How to reach S3-compatible object storage (for `s3://` destinations).
#[derive(Debug, Args)]
pub struct S3Args {
    /// The object store's S3 endpoint, e.g. http://127.0.0.1:3900 for a local
    /// Garage (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint: Option<String>,
    /// The object store's region (default: AWS_REGION, else us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Uploads in flight at once (object storage).
    #[arg(long, default_value_t = 16)]
    pub uploads: usize,
    /// Seconds one request to the object store may take (each is retried
    /// three times before the export stops with an error).
    #[arg(long = "store-timeout", default_value_t = 60)]
    pub store_timeout: u64,
}

impl S3Args {
    pub fn options(&self) -> erkin_s3::S3Options {
        erkin_s3::S3Options {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            concurrency: self.uploads.max(1),
            timeout: std::time::Duration::from_secs(self.store_timeout.max(1)),
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A data directory or an exported directory.
    pub source: PathBuf,
    /// The publication's verifier key, from a channel you trust (not from the copy).
    #[arg(long)]
    pub key: String,
    /// Also check a data directory's state snapshot against a refold of the log.
    #[arg(long)]
    pub deep: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Without --dir the demo lives in a fresh temporary directory that is \
removed when the demo exits (after Ctrl-C when it serves), unless --keep is given. \
With --dir D it writes D/data (the data directory), D/site (the verified static copy), \
D/keys (member keys) and D/source (the articles), and keeps them."
)]
pub struct DemoArgs {
    /// Where to write the demo (created; kept after the demo exits). Default:
    /// a temporary directory, removed at exit unless --keep is given.
    #[arg(long, value_name = "DIR", alias = "into")]
    pub dir: Option<PathBuf>,
    /// Keep the temporary directory when the demo exits (with --dir, the
    /// demo is always kept).
    #[arg(long)]
    pub keep: bool,
    /// Only build, export and verify; do not serve.
    #[arg(long)]
    pub no_serve: bool,
    /// Where to serve the demo (port 0: any free port; the hints name the real one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DirArgs,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Do not log requests (the log never holds client addresses either way).
    #[arg(long)]
    pub quiet: bool,
    /// Take members' signed entries and blobs over HTTP (the members' API)
    /// and sequence them; needs the log key's passphrase.
    #[arg(long, conflicts_with = "follow")]
    pub sequence: bool,
    /// The most entries committed (with one fsync) in one batch.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// How long, in milliseconds, a batch waits for more entries to join it.
    #[arg(long, default_value_t = 5)]
    pub batch_delay_ms: u64,
    /// Submissions per second each member key may make (0: no limit).
    #[arg(long, default_value_t = 50.0)]
    pub rate_per_key: f64,
    /// Run as a read-only follower of a primary (its URL): mirror it into
    /// --dir, verifying everything, and serve readers from the copy.
    #[arg(long)]
    pub follow: Option<String>,
    /// Seconds between a follower's syncs.
    #[arg(long, default_value_t = 5)]
    pub follow_every: u64,
    /// The publication's verifier key, pinned by a follower's first sync.
    #[arg(long)]
    pub key: Option<String>,
    /// Connections open at once, from everyone (kept below the process's
    /// file-descriptor limit, which is raised to the hard limit at start).
    #[arg(long, default_value_t = 16_384)]
    pub max_connections: usize,
    /// Connections open at once from one client (an IPv4 address or an IPv6
    /// /64); at most a quarter of --max-connections. Readers behind one
    /// carrier's NAT share an address: keep it generous.
    #[arg(long, default_value_t = 256)]
    pub max_connections_per_client: usize,
    /// Seconds a connection may go with no byte moving either way.
    #[arg(long, default_value_t = 60)]
    pub stall_timeout: u64,
    /// Memory, in MiB, for the pages readers asked for lately (prepared
    /// with their compressed forms); the rest are read from DIR/site/.
    #[arg(long, default_value_t = 64)]
    pub page_cache_mib: usize,
    /// Bytes that all blob uploads being received may hold together.
    #[arg(long, default_value_t = 4 * erkin_core::blob::DEFAULT_MAX_BLOB_LEN)]
    pub upload_budget: u64,
    /// Bytes that uploads no entry names yet may hold together on disk.
    #[arg(long, default_value_t = 1024 * 1024 * 1024)]
    pub max_pending: u64,
    /// Hours an upload may wait for an entry to name it before it is deleted
    /// (it is never served while it waits).
    #[arg(long, default_value_t = 24.0)]
    pub unnamed_blob_hours: f64,
    /// Also serve the source inbox alone on this address (for an onion
    /// service or a separate host name); it is at /tips/ of --listen too.
    #[arg(long, value_name = "ADDR", requires = "sequence")]
    pub tips: Option<std::net::SocketAddr>,
    /// Do not serve the source inbox at /tips/ (with --sequence it is on).
    #[arg(long, conflicts_with = "tips")]
    pub no_tips: bool,
    /// Most MiB one tip may hold in all (text and files).
    #[arg(long, default_value_t = 100)]
    pub tips_max_mib: u64,
}

// `erkin mirrors` (crates/erkin/src/mirrors.rs does the work).

#[derive(Debug, Subcommand)]
pub enum MirrorsCommand {
    /// List the mirrors the log names.
    List(MirrorsListArgs),
    /// Add a mirror to the list (editors): an https:// copy, an http:// onion
    /// service or a bundle (.tar.gz) at either.
    Add(MirrorsAddArgs),
    /// Remove a mirror from the list (editors).
    Remove(MirrorsRemoveArgs),
}

#[derive(Debug, Args)]
pub struct MirrorsListArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Print JSON (the list as erkin.json carries it).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MirrorsAddArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file (an editor's).
    #[arg(long)]
    pub key: PathBuf,
    /// The mirror's address.
    pub url: String,
    /// SHA-256 (hex) of a certificate the mirror presents (https only;
    /// repeat for the next certificate). Lets readers' clients report an
    /// intercepted connection.
    #[arg(long = "pin", value_name = "SHA256")]
    pub pins: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MirrorsRemoveArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file (an editor's).
    #[arg(long)]
    pub key: PathBuf,
    /// The mirror's address, as listed.
    pub url: String,
}

impl MirrorsCommand {
    pub fn place(&mut self) -> PlaceArgs {
        let place = match self {
            MirrorsCommand::List(a) => &mut a.place,
            MirrorsCommand::Add(a) => &mut a.place,
            MirrorsCommand::Remove(a) => &mut a.place,
        };
        std::mem::take(place)
    }
}

// `erkin tips` (crates/erkin/src/tips.rs does the work).

#[derive(Debug, Subcommand)]
pub enum TipsCommand {
    /// Make a tip reader's age X25519 identity (encrypted at rest with a
    /// passphrase); prints its recipient, to publish with `erkin tips publish`.
    Key {
        /// Where to write the encrypted identity (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Publish your recipient as a tip reader (a `tip_key` entry, signed by
    /// your member key); the inbox seals the next tips to it.
    Publish(TipsPublishArgs),
    /// Download the tips sealed to you, decrypt them here and unpack each
    /// into a folder of its own under --out.
    Fetch(TipsFetchArgs),
    /// Answer a conversation: the reply is sealed here to the source's
    /// codename key and left on the server for them.
    Reply(TipsReplyArgs),
}

#[derive(Debug, Args)]
pub struct TipsPublishArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Your recipient (`age1...`, printed by `erkin tips key`).
    #[arg(long)]
    pub recipient: String,
}

#[derive(Debug, Args)]
pub struct TipsFetchArgs {
    /// The newsroom's server (or its tips listener): --server URL.
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file (signs the requests).
    #[arg(long)]
    pub key: PathBuf,
    /// Your tip reader identity (from `erkin tips key`).
    #[arg(long)]
    pub identity: PathBuf,
    /// Where to unpack the tips (one folder per tip, named by its day and ID).
    #[arg(long, default_value = "tips")]
    pub out: PathBuf,
    /// Delete each tip from the server once it is unpacked here.
    #[arg(long)]
    pub delete: bool,
    /// Also write a copy of each file with its metadata stripped into the
    /// tip's clean/ folder (EXIF, XMP, IPTC and comments of JPEG, PNG and
    /// WebP; a PDF's information and XMP), and name what could not be
    /// cleaned.
    #[arg(long)]
    pub clean: bool,
    /// Print what was fetched as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TipsReplyArgs {
    /// The newsroom's server (or its tips listener): --server URL.
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Your member key file.
    #[arg(long)]
    pub key: PathBuf,
    /// The conversation (the `thread` in a fetched tip's `reply-to` file).
    #[arg(long)]
    pub thread: String,
    /// The reply's text.
    #[arg(long, conflicts_with = "file")]
    pub message: Option<String>,
    /// Read the reply's text from a file.
    #[arg(long)]
    pub file: Option<PathBuf>,
}
