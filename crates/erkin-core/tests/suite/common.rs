//! Helpers shared by the core's integration tests.

use erkin_core::keys::SecretKey;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

/// A deterministic "random" source: SHA-256 of a seed and a counter. Test
/// fixture only, so every run signs the same bytes (and the STV lot, seeded
/// by a propose entry's hash, comes out the same).
struct SeedRng {
    seed: [u8; 32],
    counter: u64,
}

impl RngCore for SeedRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(self.counter.to_le_bytes());
            self.counter += 1;
            chunk.copy_from_slice(&h.finalize()[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// A test fixture only: deterministic on purpose.
impl CryptoRng for SeedRng {}

/// The `n`th key named `name` in the key family `domain` (each test file
/// uses its own domain, so its keys are its own).
pub fn seeded_key(domain: &str, name: &str, n: u32) -> SecretKey {
    let mut h = Sha256::new();
    h.update(domain.as_bytes());
    h.update(name.as_bytes());
    h.update(n.to_le_bytes());
    let mut rng = SeedRng {
        seed: h.finalize().into(),
        counter: 0,
    };
    SecretKey::generate(&mut rng, name).unwrap()
}

/// `state` written as a snapshot and read back (its log key, size and
/// digest as recorded), for tests that a state survives the round trip.
pub fn through_snapshot(state: &erkin_core::state::State) -> erkin_core::state::State {
    use erkin_core::snapshot;
    let snap = snapshot::encode(state);
    // The replay set's base, if the snapshot does not write it again.
    let held = erkin_core::snapshot::held_base(state);
    snapshot::decode(
        &snap.bytes,
        snap.articles
            .iter()
            .map(|(s, b)| (s.as_str(), b.as_slice())),
        state.log_key(),
        snap.size,
        &snap.digest,
        snap.base()
            .or(held.as_ref().map(|(at, b)| (*at, b.as_slice()))),
    )
    .expect("a state's own snapshot reads back")
}
