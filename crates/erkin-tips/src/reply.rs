//! Replies from the newsroom to a source: age, ASCII-armored, to the
//! thread's reply recipient (derived from the codename, `keys.rs`). Members
//! seal them on their own machines (`erkin tips reply`); the server stores
//! the ciphertext and opens it only while answering the source who typed
//! the codename.

use std::io::{Read, Write};

/// Longest reply text, in bytes.
pub const MAX_REPLY_TEXT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The recipient is not an age X25519 recipient.
    #[error("not an age X25519 recipient: {0}")]
    BadRecipient(String),
    /// The reply is longer than [`MAX_REPLY_TEXT`].
    #[error("a reply is at most {MAX_REPLY_TEXT} bytes")]
    TooLong,
}

/// Seals `text` to `recipient` (armored age).
pub fn seal(text: &str, recipient: &str) -> Result<Vec<u8>, ReplyError> {
    if text.len() > MAX_REPLY_TEXT {
        return Err(ReplyError::TooLong);
    }
    let r: age::x25519::Recipient = recipient
        .parse()
        .map_err(|_| ReplyError::BadRecipient(recipient.chars().take(100).collect()))?;
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
        .expect("one X25519 recipient is always accepted");
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .expect("writing to memory cannot fail");
    let mut w = enc
        .wrap_output(armor)
        .expect("writing to memory cannot fail");
    w.write_all(text.as_bytes())
        .and_then(|_| w.finish())
        .and_then(|a| a.finish())
        .expect("writing to memory cannot fail");
    Ok(out)
}

/// Opens a reply with the codename's identity; `None` if it does not open
/// (not for this codename, or damaged).
pub fn try_open(ciphertext: &[u8], identity: &age::x25519::Identity) -> Option<String> {
    let reader = age::armor::ArmoredReader::new(ciphertext);
    let d = age::Decryptor::new(std::io::BufReader::new(reader)).ok()?;
    let mut r = d
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .ok()?;
    let mut out = Vec::new();
    r.by_ref()
        .take(MAX_REPLY_TEXT as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    String::from_utf8(out).ok()
}

/// [`try_open`], or an empty string for a reply that does not open.
pub fn open(ciphertext: &[u8], identity: &age::x25519::Identity) -> String {
    try_open(ciphertext, identity).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_opens_with_its_identity_only() {
        let id = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let c = seal("Рахмет. We read it.", &id.to_public().to_string()).unwrap();
        assert!(c.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        assert_eq!(try_open(&c, &id).as_deref(), Some("Рахмет. We read it."));
        assert_eq!(try_open(&c, &other), None);
        assert!(matches!(
            seal("x", "age1bad"),
            Err(ReplyError::BadRecipient(_))
        ));
        let long = "x".repeat(MAX_REPLY_TEXT + 1);
        assert!(matches!(
            seal(&long, &id.to_public().to_string()),
            Err(ReplyError::TooLong)
        ));
    }
}
