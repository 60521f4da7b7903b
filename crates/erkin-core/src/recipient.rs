//! age X25519 recipients, as tip readers publish them (`tip_key`): their
//! syntax checked without I/O. A leaf module, so that `rejection` can name
//! [`RecipientError`] without depending on the tip readers' rules.

use bech32::FromBase32;

/// Longest recipient string accepted (an X25519 recipient is 62 bytes).
pub const MAX_RECIPIENT_LEN: usize = 100;

/// Why a string is not an age X25519 recipient (`age1` + 58 Bech32
/// characters, lowercase, encoding 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecipientError {
    #[error("longer than {MAX_RECIPIENT_LEN} bytes")]
    TooLong,
    #[error("not lowercase Bech32 (as age writes recipients)")]
    NotBech32,
    #[error("not an age recipient (it must start with age1)")]
    NotAge,
    #[error("an X25519 recipient encodes 32 bytes")]
    WrongLength,
}

/// Checks the syntax of an age X25519 recipient, without I/O.
pub fn check_recipient(s: &str) -> Result<(), RecipientError> {
    if s.len() > MAX_RECIPIENT_LEN {
        return Err(RecipientError::TooLong);
    }
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(RecipientError::NotBech32);
    }
    let (hrp, data, variant) = bech32::decode(s).map_err(|_| RecipientError::NotBech32)?;
    if variant != bech32::Variant::Bech32 {
        return Err(RecipientError::NotBech32);
    }
    if hrp != "age" {
        return Err(RecipientError::NotAge);
    }
    let bytes = Vec::<u8>::from_base32(&data).map_err(|_| RecipientError::WrongLength)?;
    if bytes.len() != 32 {
        return Err(RecipientError::WrongLength);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // A real recipient (age-keygen).
    const R: &str = "age1mnd2gq9lq6ppndd0g59z8wkae7cupne38wld7c8zp7tdgll9v95qywh9fw";

    #[test]
    fn recipients_are_checked_without_io() {
        assert_eq!(check_recipient(R), Ok(()));
        assert_eq!(
            check_recipient(&R.to_uppercase()),
            Err(RecipientError::NotBech32)
        );
        assert_eq!(check_recipient("age1nope"), Err(RecipientError::NotBech32));
        let mut typo = R.to_string();
        typo.replace_range(10..11, if &R[10..11] == "q" { "p" } else { "q" });
        assert_eq!(check_recipient(&typo), Err(RecipientError::NotBech32));
        assert_eq!(
            check_recipient(&"a".repeat(101)),
            Err(RecipientError::TooLong)
        );
        // Valid Bech32, another prefix.
        let other = bech32::encode(
            "npub",
            bech32::ToBase32::to_base32(&[7u8; 32]),
            bech32::Variant::Bech32,
        )
        .unwrap();
        assert_eq!(check_recipient(&other), Err(RecipientError::NotAge));
        let short = bech32::encode(
            "age",
            bech32::ToBase32::to_base32(&[7u8; 31]),
            bech32::Variant::Bech32,
        )
        .unwrap();
        assert_eq!(check_recipient(&short), Err(RecipientError::WrongLength));
    }
}
