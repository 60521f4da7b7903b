//! A tip reader's age X25519 identity at rest: an armored age file
//! encrypted to a passphrase with scrypt, like member keys
//! (`erkin-store`'s `keyfile.rs`), whose plaintext is age's own identity
//! file (`# public key: age1...` and `AGE-SECRET-KEY-1...`). So the Debian
//! `age` CLI opens tips with it too: `age -d -i reader.age tip.age` asks
//! for the passphrase.

use std::io::{Read, Write};

use age::secrecy::{ExposeSecret, SecretString};

/// Passphrases shorter than this are refused when an identity is made.
pub const MIN_PASSPHRASE_LEN: usize = 8;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The passphrase does not open the file.
    #[error("the passphrase is wrong (or the file is encrypted to another one)")]
    WrongPassphrase,
    /// Not an age file, or not an identity inside.
    #[error("not a tip reader's identity file ({0})")]
    NotAnIdentity(String),
    /// Too short a passphrase for a new identity.
    #[error("the passphrase is too short: use at least {MIN_PASSPHRASE_LEN} characters")]
    WeakPassphrase,
}

/// A new identity's file, encrypted to `passphrase` (scrypt work factor
/// `work_factor`, age's 18 when `None`).
pub fn encrypt(
    identity: &age::x25519::Identity,
    passphrase: &str,
    work_factor: Option<u8>,
) -> Result<Vec<u8>, IdentityError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_LEN {
        return Err(IdentityError::WeakPassphrase);
    }
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_string()));
    recipient.set_work_factor(work_factor.unwrap_or(18));
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("a single scrypt recipient is always accepted");
    let text = format!(
        "# erkin tip reader identity\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .expect("writing to memory cannot fail");
    let mut w = encryptor
        .wrap_output(armor)
        .expect("writing to memory cannot fail");
    w.write_all(text.as_bytes())
        .and_then(|_| w.finish())
        .and_then(|a| a.finish())
        .expect("writing to memory cannot fail");
    Ok(out)
}

/// The identity in an age identity file's text.
pub fn parse(text: &str) -> Result<age::x25519::Identity, IdentityError> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .ok_or_else(|| IdentityError::NotAnIdentity("no AGE-SECRET-KEY line".into()))?
        .parse()
        .map_err(|e: &str| IdentityError::NotAnIdentity(e.into()))
}

/// Whether the bytes are a plaintext identity file (as age-keygen writes).
pub fn is_plaintext(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| t.contains("AGE-SECRET-KEY-1"))
}

/// Opens an identity file encrypted to `passphrase`.
pub fn decrypt(bytes: &[u8], passphrase: &str) -> Result<age::x25519::Identity, IdentityError> {
    let reader = age::armor::ArmoredReader::new(bytes);
    let d = age::Decryptor::new(std::io::BufReader::new(reader))
        .map_err(|e| IdentityError::NotAnIdentity(e.to_string()))?;
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
    let mut r = d
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|_| IdentityError::WrongPassphrase)?;
    let mut text = String::new();
    r.by_ref()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| IdentityError::NotAnIdentity(e.to_string()))?;
    parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_round_trips_under_its_passphrase_only() {
        let id = age::x25519::Identity::generate();
        let file = encrypt(&id, "correct horse battery", Some(10)).unwrap();
        assert!(file.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(!is_plaintext(&file));
        let back = decrypt(&file, "correct horse battery").unwrap();
        assert_eq!(back.to_public().to_string(), id.to_public().to_string());
        assert!(matches!(
            decrypt(&file, "wrong horse battery"),
            Err(IdentityError::WrongPassphrase)
        ));
        assert!(matches!(
            encrypt(&id, "short", Some(10)),
            Err(IdentityError::WeakPassphrase)
        ));
        assert!(matches!(
            parse("# nothing here"),
            Err(IdentityError::NotAnIdentity(_))
        ));
    }
}
