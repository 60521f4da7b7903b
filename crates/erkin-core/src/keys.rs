//! Ed25519 note keys in the C2SP signed-note encodings.
//!
//! A verifier key is the public string `name+<8 hex key ID>+base64(0x01‖pubkey)`;
//! a secret key is Go's `PRIVATE+KEY+name+<id>+base64(0x01‖seed)`. The key name is
//! public: for the publication's log key it is the origin, for a member it is the
//! member's public handle (a pseudonym is fine).
//!
//! Generation takes the random source as an argument so the core stays free of
//! hidden randomness.

use std::fmt;

use rand_core::CryptoRngCore;
use signed_note::{StandardSigner, StandardVerifier, Verifier as _};

/// The longest key name we accept. Names appear in every signature line, so they
/// are kept short; the C2SP origin guidance allows any length, 255 is generous.
pub const MAX_KEY_NAME_LEN: usize = 255;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("key name {0:?} is not usable: a name must be 1 to 255 printable characters with no spaces and no '+'")]
    BadName(String),
    #[error(
        "not a verifier key: expected name+<8 hex digits>+<base64>, as printed by `erkin key show`"
    )]
    MalformedVerifierKey,
    #[error("verifier key's ID does not match its name and public key (was the key copied incompletely?)")]
    VerifierKeyIdMismatch,
    #[error("verifier key uses an algorithm other than Ed25519 (type byte 0x01)")]
    UnsupportedAlgorithm,
    #[error("not a secret key: expected PRIVATE+KEY+name+<id>+<base64>")]
    MalformedSecretKey,
}

/// Checks a key name: what signed-note allows (non-empty, no whitespace, no `+`),
/// and additionally printable and at most [`MAX_KEY_NAME_LEN`] bytes.
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    let ok = signed_note::is_key_name_valid(name)
        && name.len() <= MAX_KEY_NAME_LEN
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(KeyError::BadName(name.to_string()))
    }
}

/// A parsed Ed25519 verifier key. Holds the canonical string so it can be
/// printed, compared and stored exactly as the user gave it.
#[derive(Clone)]
pub struct VerifierKey {
    text: String,
    verifier: StandardVerifier,
}

impl VerifierKey {
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let name = text.split('+').next().unwrap_or_default();
        check_key_name(name)?;
        let verifier = StandardVerifier::new(text).map_err(|e| match e {
            signed_note::VerifierError::Format => KeyError::MalformedVerifierKey,
            signed_note::VerifierError::Alg => KeyError::UnsupportedAlgorithm,
            signed_note::VerifierError::Id => KeyError::VerifierKeyIdMismatch,
        })?;
        Ok(Self {
            text: text.to_string(),
            verifier,
        })
    }

    pub fn name(&self) -> &str {
        self.verifier.name()
    }

    pub fn key_id(&self) -> u32 {
        self.verifier.key_id()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Verifies an Ed25519 signature over `msg` (strictly: signed-note's verifier).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.verifier.verify(msg, sig)
    }
}

impl PartialEq for VerifierKey {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for VerifierKey {}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({})", self.text)
    }
}

/// A secret signing key. Its `Debug` never prints the secret; the only way to
/// get the secret text out is [`SecretKey::expose_secret_text`], which callers
/// must encrypt before writing anywhere.
#[derive(Clone)]
pub struct SecretKey {
    text: String,
    signer: StandardSigner,
    verifier_key: VerifierKey,
}

impl SecretKey {
    /// Makes a new Ed25519 key named `name` from the given random source.
    pub fn generate(rng: &mut impl CryptoRngCore, name: &str) -> Result<Self, KeyError> {
        check_key_name(name)?;
        let (skey, _vkey) = signed_note::generate_key(rng, name);
        Self::parse(&skey)
    }

    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let signer = StandardSigner::new(text).map_err(|_| KeyError::MalformedSecretKey)?;
        // Derive the public half from the secret so the pair can never disagree.
        let vkey = derive_verifier_key(text).ok_or(KeyError::MalformedSecretKey)?;
        Ok(Self {
            text: text.to_string(),
            signer,
            verifier_key: VerifierKey::parse(&vkey)?,
        })
    }

    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier_key
    }

    pub fn name(&self) -> &str {
        self.verifier_key.name()
    }

    pub fn expose_secret_text(&self) -> &str {
        &self.text
    }

    pub(crate) fn as_signer(&self) -> &StandardSigner {
        &self.signer
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(for {})", self.verifier_key)
    }
}

fn derive_verifier_key(skey: &str) -> Option<String> {
    use base64::Engine as _;
    let mut parts = skey.splitn(5, '+');
    let (_, _, name, _id, b64) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let seed: [u8; 32] = raw.get(1..)?.try_into().ok()?;
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    Some(signed_note::new_ed25519_verifier_key(
        name,
        &signing.verifying_key(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example verifier key from c2sp.org/signed-note.
    pub const SPEC_VKEY: &str =
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

    #[test]
    fn spec_verifier_key_parses() {
        let k = VerifierKey::parse(SPEC_VKEY).unwrap();
        assert_eq!(k.name(), "example.com/foo");
        assert_eq!(k.key_id(), 0x530d903a);
        assert_eq!(k.as_str(), SPEC_VKEY);
    }

    #[test]
    fn verifier_key_with_wrong_id_is_rejected() {
        let bad = SPEC_VKEY.replace("530d903a", "530d903b");
        assert_eq!(
            VerifierKey::parse(&bad).unwrap_err(),
            KeyError::VerifierKeyIdMismatch
        );
    }

    #[test]
    fn verifier_key_garbage_is_rejected() {
        assert_eq!(
            VerifierKey::parse("example.com/foo+zz+AAAA").unwrap_err(),
            KeyError::MalformedVerifierKey
        );
        assert_eq!(
            VerifierKey::parse("").unwrap_err(),
            KeyError::BadName(String::new())
        );
    }

    #[test]
    fn generated_key_round_trips() {
        let k = SecretKey::generate(&mut rand_core::OsRng, "aigerim").unwrap();
        let again = SecretKey::parse(k.expose_secret_text()).unwrap();
        assert_eq!(again.verifier_key(), k.verifier_key());
        assert!(k.verifier_key().as_str().starts_with("aigerim+"));
        assert!(!format!("{k:?}").contains("PRIVATE"));
    }

    #[test]
    fn bad_names_are_rejected() {
        for name in ["", "a b", "a+b", "tab\there", &"x".repeat(256)] {
            assert!(matches!(
                SecretKey::generate(&mut rand_core::OsRng, name),
                Err(KeyError::BadName(_))
            ));
        }
    }
}
