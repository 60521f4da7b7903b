// A member's ballot key, made in the browser (docs/BALLOT.md §4.2, §11).
//
// The ballot secret is 32 random bytes from the browser's generator. The
// Semaphore v3 identity is zk-kit's derivation, as erkin-core's
// `ballot_secret.rs` (and `semaphore-rs`'s `Identity::from_secret`) compute
// it: h = hex(SHA-256(secret)); trapdoor = SHA-256(h ‖ "identity_trapdoor")
// mod r; nullifier = SHA-256(h ‖ "identity_nullifier") mod r. The ballot key
// registered in the log is the commitment Poseidon(Poseidon(nullifier,
// trapdoor)), with poseidon-lite (circomlib's constants; checked against the
// Rust core's values by crates/erkin/tests/suite/desk_e2e.rs).
//
// The desk cannot cast a secret ballot: no proving artifacts for the
// circuit whose verifying key erkin pins can be had from the packages it may
// use (docs/BALLOT.md §14). So the secret is not kept in this browser: it
// exists here only long enough to compute the ballot key and to be
// encrypted into the backup file, which `erkin vote` opens on the member's
// own machine.

import { poseidon1 } from "poseidon-lite/poseidon1";
import { poseidon2 } from "poseidon-lite/poseidon2";
import { b64, hex, sha256 } from "./crypto.js";

/** The BN254 scalar field's modulus. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const SCHEME = "semaphore-v3-16";
export const SECRET_TEXT_TAG = "erkin-ballot-secret/v1";

const utf8 = new TextEncoder();

function toBigInt(bytes) {
  return BigInt(`0x${hex(bytes) || "0"}`);
}

/** A field element as the log writes it: 64 lowercase hex digits. */
export function fieldHex(x) {
  return x.toString(16).padStart(64, "0");
}

/** A new ballot secret: 32 bytes from the browser's generator. */
export function newSecret() {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** The plaintext of a `ballot.age` file, without its newline. */
export function secretText(secret) {
  if (secret.length !== 32) throw new Error("a ballot secret is 32 bytes");
  return `${SECRET_TEXT_TAG} ${b64(secret)}`;
}

/** The Semaphore identity's two field elements. */
export async function identity(secret) {
  const h = utf8.encode(hex(await sha256(secret)));
  const derive = async (suffix) => {
    const input = new Uint8Array(h.length + suffix.length);
    input.set(h);
    input.set(utf8.encode(suffix), h.length);
    return toBigInt(await sha256(input)) % R;
  };
  return { trapdoor: await derive("identity_trapdoor"), nullifier: await derive("identity_nullifier") };
}

/** The ballot key: the identity's commitment, as 64 hex digits. */
export async function commitment(secret) {
  const id = await identity(secret);
  return fieldHex(poseidon1([poseidon2([id.nullifier, id.trapdoor])]));
}
