//! Getting passphrases and key files to and from the user.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{bail, Context, Result};
use erkin_core::ballot_secret::BallotSecret;
use erkin_core::keys::SecretKey;
use erkin_store::keyfile;

pub const PASSPHRASE_ENV: &str = "ERKIN_PASSPHRASE";
/// scrypt work factor (log2 N) for newly encrypted keys. Unset, it is
/// `keyfile::WORK_FACTOR` (2^18); lower values are for tests and make keys
/// easier to brute-force.
pub const WORK_FACTOR_ENV: &str = "ERKIN_SCRYPT_WORK_FACTOR";
/// Set (to anything), erkin says on exit how many scrypt derivations the
/// command paid (key files encrypted or opened): a diagnostic, and what the
/// tests read to check that each key is derived once.
pub const REPORT_DERIVATIONS_ENV: &str = "ERKIN_REPORT_DERIVATIONS";

fn read_passphrase(prompt: &str, confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("a passphrase is needed: run in a terminal, or set {PASSPHRASE_ENV} for scripts");
    }
    let p = rpassword::prompt_password(prompt).context("reading the passphrase")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat the passphrase: ")
            .context("reading the passphrase")?;
        if again != p {
            bail!("the two passphrases differ; nothing was written");
        }
    }
    Ok(p)
}

/// Asks for (or reads) a passphrase that opens something.
pub fn passphrase(prompt: &str) -> Result<String> {
    read_passphrase(prompt, false)
}

pub fn work_factor() -> Result<Option<u8>> {
    match std::env::var(WORK_FACTOR_ENV) {
        Err(_) => Ok(None),
        Ok(v) => {
            let n: u8 = v
                .parse()
                .ok()
                .filter(|n| (1..=30).contains(n))
                .with_context(|| {
                    format!("{WORK_FACTOR_ENV}={v:?}: expected a number from 1 to 30")
                })?;
            Ok(Some(n))
        }
    }
}

/// Asks for (or reads) the passphrase that will encrypt a new key, and checks
/// it is acceptable before any work is done with it.
pub fn new_passphrase(what: &str) -> Result<String> {
    let pass = read_passphrase(&format!("Passphrase to encrypt {what}: "), true)?;
    if pass.chars().count() < keyfile::MIN_PASSPHRASE_LEN {
        return Err(keyfile::KeyFileError::WeakPassphrase.into());
    }
    Ok(pass)
}

pub fn write_new_key(path: &Path, key: &SecretKey, what: &str) -> Result<()> {
    let pass = new_passphrase(what)?;
    keyfile::write_key_file(path, key, &pass, work_factor()?)?;
    Ok(())
}

pub fn open_key(path: &Path, what: &str) -> Result<SecretKey> {
    let pass = read_passphrase(
        &format!("Passphrase for {what} ({}): ", path.display()),
        false,
    )?;
    Ok(keyfile::read_key_file(path, &pass)?)
}

/// [`open_key`], and the passphrase that opened it, for another file kept
/// under the same one (the sequencer's ballot box beside its log key).
pub fn open_key_keeping_passphrase(path: &Path, what: &str) -> Result<(SecretKey, String)> {
    let pass = read_passphrase(
        &format!("Passphrase for {what} ({}): ", path.display()),
        false,
    )?;
    let key = keyfile::read_key_file(path, &pass)?;
    Ok((key, pass))
}

/// Asks for a new passphrase and writes a new ballot secret file with it.
pub fn write_new_ballot_secret(path: &Path, secret: &BallotSecret) -> Result<()> {
    let pass = new_passphrase("the ballot secret")?;
    keyfile::write_ballot_secret_file(path, secret, &pass, work_factor()?)?;
    Ok(())
}

/// Asks for the passphrase and opens a ballot secret file.
pub fn open_ballot_secret(path: &Path) -> Result<BallotSecret> {
    let pass = read_passphrase(
        &format!("Passphrase for your ballot secret ({}): ", path.display()),
        false,
    )?;
    Ok(keyfile::read_ballot_secret_file(path, &pass)?)
}
