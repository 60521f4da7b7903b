// Prints the desk's ballot identity for each ballot secret given (64 hex
// digits each) as JSON, for crates/erkin/tests/suite/desk_e2e.rs to compare
// with erkin-core's (docs/BALLOT.md §4.2, §13).
//
//   node test/ballot-vectors.mjs SECRET_HEX...
import { commitment, fieldHex, identity, secretText } from "../src/ballot.js";

const out = [];
for (const h of process.argv.slice(2)) {
  if (!/^[0-9a-f]{64}$/.test(h)) throw new Error(`not 32 bytes of hex: ${h}`);
  const secret = Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));
  const id = await identity(secret);
  out.push({
    trapdoor: fieldHex(id.trapdoor),
    nullifier: fieldHex(id.nullifier),
    commitment: await commitment(secret),
    text: secretText(secret),
  });
}
process.stdout.write(JSON.stringify(out));
