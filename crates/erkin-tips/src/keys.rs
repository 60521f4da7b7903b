//! What a codename is turned into, with Argon2id (RFC 9106, the `argon2`
//! crate) — never anything of our own:
//!
//! - the **thread ID**: `Argon2id(codename, salt = the inbox's own random
//!   32-byte salt)`, 32 bytes, hex. The server stores only this, and finds a
//!   thread by it; the salt lives beside `tips.sqlite`, so a precomputed
//!   table for one inbox is useless for another.
//! - the **reply identity**: `Argon2id(codename, salt = "erkin-tips reply
//!   key v1")`, 32 bytes taken as an age X25519 secret key (any 32 bytes
//!   are one: X25519 clamps), written in age's own Bech32 form and parsed by
//!   `age::x25519::Identity`. The server stores only its public recipient;
//!   members encrypt replies to it; a source's codename re-derives the
//!   identity that opens them. The salt is fixed so the same codename gives
//!   the same key on any copy of the inbox.
//!
//! Both take the same time for every input (one Argon2id each, whatever the
//! codename), so an unknown codename and a wrong one cost the same.

use argon2::{Algorithm, Argon2, Params, Version};
use bech32::ToBase32;
use zeroize::Zeroize;

/// The reply key's fixed salt (at least 8 bytes, as Argon2 requires).
const REPLY_SALT: &[u8] = b"erkin-tips reply key v1";

/// Argon2id's cost. The default is RFC 9106's second recommended option
/// (64 MiB, 3 passes, 1 lane): about 0.1-0.2 s per hash on a server core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub memory_kib: u32,
    pub passes: u32,
}

impl Default for Cost {
    fn default() -> Self {
        Cost {
            memory_kib: 64 * 1024,
            passes: 3,
        }
    }
}

fn argon2id(cost: Cost, input: &[u8], salt: &[u8]) -> [u8; 32] {
    let params = Params::new(cost.memory_kib, cost.passes, 1, Some(32))
        .expect("the cost's fields are within Argon2's bounds");
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(input, salt, &mut out)
        .expect("salt and output lengths are valid");
    out
}

/// The thread ID a codename (normalized) maps to in an inbox with `salt`.
pub fn thread_id(cost: Cost, codename: &str, salt: &[u8; 32]) -> String {
    hex::encode(argon2id(cost, codename.as_bytes(), salt))
}

/// The age X25519 identity replies to this codename are encrypted to.
pub fn reply_identity(cost: Cost, codename: &str) -> age::x25519::Identity {
    let mut bytes = argon2id(cost, codename.as_bytes(), REPLY_SALT);
    let mut text = bech32::encode(
        "age-secret-key-",
        bytes.to_base32(),
        bech32::Variant::Bech32,
    )
    .expect("the HRP is valid")
    .to_uppercase();
    bytes.zeroize();
    let identity = text
        .parse::<age::x25519::Identity>()
        .expect("32 bytes in age's Bech32 form are an identity");
    text.zeroize();
    identity
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: Cost = Cost {
        memory_kib: 64,
        passes: 1,
    };

    #[test]
    fn derivations_are_deterministic_and_separate() {
        let salt = [7u8; 32];
        let c = "abacus abdomen abdominal abide abiding ability ablaze";
        assert_eq!(thread_id(CHEAP, c, &salt), thread_id(CHEAP, c, &salt));
        assert_ne!(thread_id(CHEAP, c, &salt), thread_id(CHEAP, c, &[8u8; 32]));
        let a = reply_identity(CHEAP, c).to_public().to_string();
        assert_eq!(a, reply_identity(CHEAP, c).to_public().to_string());
        assert!(a.starts_with("age1"));
        let other = "abacus abdomen abdominal abide abiding ability able";
        assert_ne!(a, reply_identity(CHEAP, other).to_public().to_string());
        // The reply key is not the thread ID.
        let thread = thread_id(CHEAP, c, &salt);
        assert!(!a.contains(&thread));
    }

    #[test]
    fn the_default_cost_is_rfc_9106s_second_option() {
        assert_eq!(
            Cost::default(),
            Cost {
                memory_kib: 65536,
                passes: 3
            }
        );
    }
}
