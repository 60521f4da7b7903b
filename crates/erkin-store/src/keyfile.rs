//! Secret keys at rest: an age file (age-encryption.org/v1), encrypted to a
//! passphrase with scrypt and ASCII-armored, whose plaintext is the signed-note
//! secret key string `PRIVATE+KEY+name+id+base64`.
//!
//! Using age rather than a format of our own means a member can open, back up or
//! re-encrypt a key with standard tools (`age -d member.key.age`), and that the
//! encryption is a well-reviewed one. Key files are created with mode 0600 and
//! never overwritten.
//!
//! A member's ballot secret (docs/BALLOT.md §4.2) is kept the same way, in
//! its own file (`ballot.age`), whose plaintext is
//! `erkin-ballot-secret/v1 <base64>`: never derived from the signing key, so
//! handing one over does not hand over the other.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use erkin_core::ballot_secret::{BallotSecret, BallotSecretError};
use erkin_core::keys::{KeyError, SecretKey};

/// A key file is a few hundred bytes; anything much larger is not one.
const MAX_KEY_FILE_LEN: u64 = 64 * 1024;
/// Passphrases shorter than this are refused when a key is created.
pub const MIN_PASSPHRASE_LEN: usize = 8;
/// The scrypt work factor (log2 N) of every key erkin makes: age's usual
/// 2^18 (256 MiB and about half a second per derivation on a 2-core
/// server), fixed rather than calibrated by age to how busy the machine was
/// when the key was made (which gave 2^18 to 2^20 — up to 1 GiB and four
/// times the time — on the same machine). Decrypting a key made elsewhere
/// accepts what age accepts.
pub const WORK_FACTOR: u8 = 18;

thread_local! {
    static DERIVATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many scrypt key derivations this thread has done, encrypting
/// ([`encrypt_key`]) or decrypting ([`decrypt_key`]) a key file: each costs
/// 2^work factor × 1 KiB of memory and its time, so a command should derive
/// each key it needs once.
pub fn derivations() -> u64 {
    DERIVATIONS.with(|n| n.get())
}

fn count_derivation() {
    DERIVATIONS.with(|n| n.set(n.get() + 1));
}

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: already exists; erkin never overwrites a key file")]
    Exists(PathBuf),
    #[error("{0}: the passphrase is wrong (or the file was encrypted to another passphrase)")]
    WrongPassphrase(PathBuf),
    #[error("{path}: not a passphrase-encrypted age key file ({reason})")]
    NotAKeyFile { path: PathBuf, reason: String },
    #[error("{path}: decrypted, but the contents are not an erkin key: {source}")]
    BadContents {
        path: PathBuf,
        #[source]
        source: KeyError,
    },
    #[error("{path}: not a ballot secret: {source}")]
    BadBallotSecret {
        path: PathBuf,
        #[source]
        source: BallotSecretError,
    },
    #[error("the passphrase is too short: use at least {MIN_PASSPHRASE_LEN} characters")]
    WeakPassphrase,
    #[error("{0}: decrypted, but the contents are not an age X25519 identity (the ballot box's)")]
    BadBallotBox(PathBuf),
}

/// Encrypts `key` to `passphrase`. `work_factor` is scrypt's log2(N); `None`
/// is [`WORK_FACTOR`] (lower values are for tests and benchmarks, and make
/// the file easier to brute-force).
pub fn encrypt_key(
    key: &SecretKey,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<Vec<u8>, KeyFileError> {
    encrypt_text(key.expose_secret_text(), passphrase, work_factor)
}

/// Decrypts a key file's bytes; `path` is only used to name the file in errors.
pub fn decrypt_key(bytes: &[u8], passphrase: &str, path: &Path) -> Result<SecretKey, KeyFileError> {
    let text = decrypt_text(bytes, passphrase, path)?;
    SecretKey::parse(&text).map_err(|source| KeyFileError::BadContents {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a new key file (never replacing one), readable only by its owner,
/// and syncs it to disk before returning.
pub fn write_key_file(
    path: &Path,
    key: &SecretKey,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<(), KeyFileError> {
    write_new_file(path, &encrypt_key(key, passphrase, work_factor)?)
}

pub fn read_key_file(path: &Path, passphrase: &str) -> Result<SecretKey, KeyFileError> {
    decrypt_key(&read_small_file(path)?, passphrase, path)
}

/// Encrypts a ballot secret to `passphrase`, as [`encrypt_key`] does a key.
pub fn encrypt_ballot_secret(
    secret: &BallotSecret,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<Vec<u8>, KeyFileError> {
    encrypt_text(&secret.expose_secret_text(), passphrase, work_factor)
}

/// Decrypts a ballot secret file's bytes; `path` names the file in errors.
/// A member key file opened here is refused as not a ballot secret.
pub fn decrypt_ballot_secret(
    bytes: &[u8],
    passphrase: &str,
    path: &Path,
) -> Result<BallotSecret, KeyFileError> {
    let text = decrypt_text(bytes, passphrase, path)?;
    BallotSecret::parse(&text).map_err(|source| KeyFileError::BadBallotSecret {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a new ballot secret file (`ballot.age`) as [`write_key_file`]
/// writes a key file: never replacing one, mode 0600, synced.
pub fn write_ballot_secret_file(
    path: &Path,
    secret: &BallotSecret,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<(), KeyFileError> {
    write_new_file(
        path,
        &encrypt_ballot_secret(secret, passphrase, work_factor)?,
    )
}

pub fn read_ballot_secret_file(
    path: &Path,
    passphrase: &str,
) -> Result<BallotSecret, KeyFileError> {
    decrypt_ballot_secret(&read_small_file(path)?, passphrase, path)
}

/// Encrypts the sequencer's ballot-box identity (docs/BALLOT.md §5.6) to
/// `passphrase`, as [`encrypt_key`] does a key: its plaintext is age's own
/// `AGE-SECRET-KEY-1…` line, so `age -d` opens it and `age-keygen -y` gives
/// the recipient.
pub fn encrypt_ballot_box(
    identity: &age::x25519::Identity,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<Vec<u8>, KeyFileError> {
    use age::secrecy::ExposeSecret as _;
    encrypt_text(
        identity.to_string().expose_secret(),
        passphrase,
        work_factor,
    )
}

/// Decrypts a ballot-box file's bytes; `path` names the file in errors.
pub fn decrypt_ballot_box(
    bytes: &[u8],
    passphrase: &str,
    path: &Path,
) -> Result<age::x25519::Identity, KeyFileError> {
    let text = decrypt_text(bytes, passphrase, path)?;
    text.trim_end_matches('\n')
        .parse::<age::x25519::Identity>()
        .map_err(|_| KeyFileError::BadBallotBox(path.to_path_buf()))
}

/// The ballot box's identity in `path` (`ballot-box.age` beside the log
/// key, [`crate::BALLOT_BOX_FILE`]), encrypted to `passphrase` like the log
/// key; made from the OS generator and written (never replacing a file,
/// mode 0600, synced) when there is none. Its plaintext is never written.
pub fn open_or_make_ballot_box(
    path: &Path,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<age::x25519::Identity, KeyFileError> {
    match fs::symlink_metadata(path) {
        Ok(_) => decrypt_ballot_box(&read_small_file(path)?, passphrase, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let identity = age::x25519::Identity::generate();
            write_new_file(
                path,
                &encrypt_ballot_box(&identity, passphrase, work_factor)?,
            )?;
            Ok(identity)
        }
        Err(source) => Err(KeyFileError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// age (scrypt, ASCII armor) of `text` and a newline.
fn encrypt_text(
    text: &str,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<Vec<u8>, KeyFileError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_LEN {
        return Err(KeyFileError::WeakPassphrase);
    }
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_string()));
    recipient.set_work_factor(work_factor.unwrap_or(WORK_FACTOR));
    count_derivation();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("a single scrypt recipient is always accepted");
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .expect("writing to a Vec cannot fail");
    let mut writer = encryptor
        .wrap_output(armor)
        .expect("writing to a Vec cannot fail");
    writer
        .write_all(format!("{text}\n").as_bytes())
        .and_then(|_| writer.finish())
        .and_then(|armor| armor.finish())
        .expect("writing to a Vec cannot fail");
    Ok(out)
}

/// The plaintext of a passphrase-encrypted age file (at most
/// [`MAX_KEY_FILE_LEN`] bytes of it).
fn decrypt_text(bytes: &[u8], passphrase: &str, path: &Path) -> Result<String, KeyFileError> {
    let not_key = |reason: String| KeyFileError::NotAKeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let reader = age::armor::ArmoredReader::new(bytes);
    let decryptor = age::Decryptor::new(reader).map_err(|e| not_key(e.to_string()))?;
    if !decryptor.is_scrypt() {
        return Err(not_key(
            "it is encrypted to a recipient key, not a passphrase".into(),
        ));
    }
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
    count_derivation();
    let mut plain = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                KeyFileError::WrongPassphrase(path.to_path_buf())
            }
            other => not_key(other.to_string()),
        })?;
    let mut text = String::new();
    plain
        .by_ref()
        .take(MAX_KEY_FILE_LEN)
        .read_to_string(&mut text)
        .map_err(|e| not_key(e.to_string()))?;
    Ok(text)
}

/// Creates `path` (never replacing a file), mode 0600, writes `bytes` and
/// syncs the file and its directory.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists(path.to_path_buf())
        } else {
            io(e)
        }
    })?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(io)?;
    crate::sync_parent_dir(path).map_err(io)?;
    Ok(())
}

/// A key file's bytes; one larger than [`MAX_KEY_FILE_LEN`] is not read.
fn read_small_file(path: &Path) -> Result<Vec<u8>, KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_KEY_FILE_LEN {
        return Err(KeyFileError::NotAKeyFile {
            path: path.to_path_buf(),
            reason: "too large".into(),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::generate(&mut rand_core::OsRng, "aigerim").unwrap()
    }

    #[test]
    fn round_trip_and_no_plaintext() {
        let k = key();
        let bytes = encrypt_key(&k, "correct horse", Some(10)).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(!text.contains("PRIVATE"));
        let back = decrypt_key(&bytes, "correct horse", Path::new("k")).unwrap();
        assert_eq!(back.verifier_key(), k.verifier_key());
    }

    #[test]
    fn the_ballot_box_is_made_once_encrypted_and_opened_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::BALLOT_BOX_FILE);
        let made = open_or_make_ballot_box(&path, "correct horse", Some(10)).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(!text.contains("AGE-SECRET-KEY"), "never plaintext");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let opened = open_or_make_ballot_box(&path, "correct horse", Some(10)).unwrap();
        assert_eq!(opened.to_public().to_string(), made.to_public().to_string());
        assert!(matches!(
            open_or_make_ballot_box(&path, "wrong horse!", Some(10)),
            Err(KeyFileError::WrongPassphrase(_))
        ));
        // A member's key file is not a ballot box.
        let other = dir.path().join("k.age");
        write_key_file(&other, &key(), "correct horse", Some(10)).unwrap();
        assert!(matches!(
            open_or_make_ballot_box(&other, "correct horse", Some(10)),
            Err(KeyFileError::BadBallotBox(_))
        ));
    }

    /// The scrypt stanza's work factor, read from the age header.
    fn stanza_work_factor(armored: &[u8]) -> u8 {
        let mut plain = Vec::new();
        age::armor::ArmoredReader::new(armored)
            .read_to_end(&mut plain)
            .unwrap();
        let text = String::from_utf8_lossy(&plain);
        let line = text
            .lines()
            .find(|l| l.starts_with("-> scrypt "))
            .expect("a scrypt stanza");
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    #[test]
    fn keys_get_the_fixed_work_factor_unless_told_otherwise() {
        let k = key();
        let made = encrypt_key(&k, "correct horse", None).unwrap();
        assert_eq!(stanza_work_factor(&made), WORK_FACTOR);
        assert_eq!(WORK_FACTOR, 18);
        assert_eq!(
            decrypt_key(&made, "correct horse", Path::new("k"))
                .unwrap()
                .verifier_key(),
            k.verifier_key()
        );
        let low = encrypt_key(&k, "correct horse", Some(10)).unwrap();
        assert_eq!(stanza_work_factor(&low), 10);
    }

    /// Every encryption and every decryption attempt is one derivation
    /// (a wrong passphrase costs one too); a file that is not an age file
    /// costs none.
    #[test]
    fn derivations_are_counted() {
        let k = key();
        let before = derivations();
        let bytes = encrypt_key(&k, "correct horse", Some(10)).unwrap();
        assert_eq!(derivations(), before + 1);
        decrypt_key(&bytes, "correct horse", Path::new("k")).unwrap();
        assert_eq!(derivations(), before + 2);
        assert!(decrypt_key(&bytes, "wrong horse!", Path::new("k")).is_err());
        assert_eq!(derivations(), before + 3);
        assert!(decrypt_key(b"hello", "correct horse", Path::new("k")).is_err());
        assert!(encrypt_key(&k, "short", Some(10)).is_err());
        assert_eq!(derivations(), before + 3);
    }

    #[test]
    fn wrong_passphrase_is_named() {
        let bytes = encrypt_key(&key(), "correct horse", Some(10)).unwrap();
        assert!(matches!(
            decrypt_key(&bytes, "wrong horse!", Path::new("k")),
            Err(KeyFileError::WrongPassphrase(_))
        ));
    }

    #[test]
    fn garbage_and_weak_passphrases_are_refused() {
        assert!(matches!(
            decrypt_key(b"hello", "whatever1", Path::new("k")),
            Err(KeyFileError::NotAKeyFile { .. })
        ));
        assert!(matches!(
            encrypt_key(&key(), "short", Some(10)),
            Err(KeyFileError::WeakPassphrase)
        ));
    }

    #[test]
    fn key_files_are_never_overwritten_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.age");
        let k = key();
        write_key_file(&path, &k, "passphrase", Some(10)).unwrap();
        assert!(matches!(
            write_key_file(&path, &k, "passphrase", Some(10)),
            Err(KeyFileError::Exists(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file must not be readable by others");
        }
        assert_eq!(
            read_key_file(&path, "passphrase").unwrap().verifier_key(),
            k.verifier_key()
        );
    }

    #[test]
    fn ballot_secrets_round_trip_never_overwrite_and_are_not_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ballot.age");
        let secret = BallotSecret::from_bytes([9; 32]);
        write_ballot_secret_file(&path, &secret, "passphrase", Some(10)).unwrap();
        let armored = fs::read_to_string(&path).unwrap();
        assert!(!armored.contains(&secret.expose_secret_text()));
        assert!(!armored.contains("erkin-ballot-secret"));
        assert!(matches!(
            write_ballot_secret_file(&path, &secret, "passphrase", Some(10)),
            Err(KeyFileError::Exists(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "a ballot secret must not be readable by others"
            );
        }
        let back = read_ballot_secret_file(&path, "passphrase").unwrap();
        assert_eq!(back.commitment().unwrap(), secret.commitment().unwrap());
        assert!(matches!(
            read_ballot_secret_file(&path, "wrong phrase"),
            Err(KeyFileError::WrongPassphrase(_))
        ));
        // A member key file is not a ballot secret, and the other way round.
        let key_path = dir.path().join("member.age");
        write_key_file(&key_path, &key(), "passphrase", Some(10)).unwrap();
        assert!(matches!(
            read_ballot_secret_file(&key_path, "passphrase"),
            Err(KeyFileError::BadBallotSecret {
                source: BallotSecretError::Malformed,
                ..
            })
        ));
        assert!(matches!(
            read_key_file(&path, "passphrase"),
            Err(KeyFileError::BadContents { .. })
        ));
    }
}
