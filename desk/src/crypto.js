// Keys, signed notes, entries and receipts, in the browser.
//
// Everything here is the same format as erkin's Rust core (docs/FORMATS.md):
// signed-note keys and signatures (c2sp.org/signed-note), the entry's three
// lines with canonical JSON, RFC 6962 hashing and inclusion proofs. The
// cryptography is the browser's own WebCrypto (Ed25519, SHA-256) and age
// (typage, from npm) for key files; nothing here invents any.

import { Encrypter, Decrypter, armor } from "age-encryption";

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

export function b64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function unb64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function unb64url(text) {
  return unb64(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function unhex(text) {
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new Error("not hex");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------------------------------------------------------------------------
// signed-note keys

/** A handle as signed-note allows it (and erkin: at most 255 bytes). */
export function validName(name) {
  return name.length > 0 && utf8.encode(name).length <= 255 && !/[\s+]/.test(name) && !/[\u0000-\u001f\u007f]/.test(name);
}

/** The 4-byte key ID: SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[0..4]. */
async function keyId(name, pub) {
  const h = await sha256(concat(utf8.encode(name), utf8.encode("\n"), [1], pub));
  return h.slice(0, 4);
}

export async function verifierKeyText(name, pub) {
  return `${name}+${hex(await keyId(name, pub))}+${b64(concat([1], pub))}`;
}

async function secretKeyText(name, pub, seed) {
  return `PRIVATE+KEY+${name}+${hex(await keyId(name, pub))}+${b64(concat([1], seed))}`;
}

// PKCS #8 for an Ed25519 seed (RFC 8410): a fixed prefix, then the seed.
const PKCS8_PREFIX = unhex("302e020100300506032b657004220420");

/** A key the desk signs with: a non-extractable CryptoKey and its public half. */
async function fromSeed(name, seed, pub) {
  const key = await subtle.importKey("pkcs8", concat(PKCS8_PREFIX, seed), { name: "Ed25519" }, false, ["sign"]);
  return { name, pub, vkey: await verifierKeyText(name, pub), key };
}

/**
 * Makes a new key named `name` and its encrypted backup (the same age
 * passphrase file as `erkin key new`). The seed exists in this function
 * only; what is kept is a non-extractable copy.
 */
export async function makeKey(name, passphrase) {
  const pair = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey));
  const seed = pkcs8.slice(pkcs8.length - 32);
  const pub = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  const backup = await encryptKeyFile(await secretKeyText(name, pub, seed), passphrase);
  const member = await fromSeed(name, seed, pub);
  seed.fill(0);
  pkcs8.fill(0);
  return { member, backup };
}

/** age, passphrase recipient, ASCII armor: what `erkin key new` writes. */
export async function encryptKeyFile(secretText, passphrase) {
  const e = new Encrypter();
  e.setPassphrase(passphrase);
  return armor.encode(await e.encrypt(secretText + "\n"));
}

export class KeyFileError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

/** Opens a key file made by `erkin key new` (or by the desk). */
export async function openKeyFile(text, passphrase) {
  let binary;
  try {
    binary = armor.decode(text.trim() + "\n");
  } catch {
    throw new KeyFileError("not_a_key_file");
  }
  const d = new Decrypter();
  d.addPassphrase(passphrase);
  let plain;
  try {
    plain = await d.decrypt(binary, "text");
  } catch (e) {
    throw new KeyFileError(/passphrase|decrypt|stanza|scrypt|no identity/i.test(String(e)) ? "wrong_passphrase" : "not_a_key_file");
  }
  const m = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)\n?$/.exec(plain);
  if (!m) throw new KeyFileError("not_a_key_file");
  const [, name, id, body] = m;
  const raw = unb64(body);
  if (raw.length !== 33 || raw[0] !== 1) throw new KeyFileError("not_a_key_file");
  const seed = raw.slice(1);
  // The public half: import once extractable, read it as JWK, forget it.
  const tmp = await subtle.importKey("pkcs8", concat(PKCS8_PREFIX, seed), { name: "Ed25519" }, true, ["sign"]);
  const pub = unb64url((await subtle.exportKey("jwk", tmp)).x);
  if (hex(await keyId(name, pub)) !== id) throw new KeyFileError("not_a_key_file");
  const member = await fromSeed(name, seed, pub);
  seed.fill(0);
  raw.fill(0);
  return member;
}

// ---------------------------------------------------------------------------
// signed notes

/** Signs `text` (ending in a newline) as a note with one signature. */
export async function signNote(text, member) {
  const sig = new Uint8Array(await subtle.sign({ name: "Ed25519" }, member.key, utf8.encode(text)));
  const id = await keyId(member.name, member.pub);
  return `${text}\n\u2014 ${member.name} ${b64(concat(id, sig))}\n`;
}

function parseVerifierKey(vkey) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey.trim());
  if (!m) return null;
  const raw = unb64(m[3]);
  if (raw.length !== 33 || raw[0] !== 1) return null;
  return { name: m[1], id: m[2], pub: raw.slice(1) };
}

/** The text of a note signed by `vkey`, or null if it is not. */
export async function openNote(note, vkey) {
  const k = parseVerifierKey(vkey);
  if (!k || hex(await keyId(k.name, k.pub)) !== k.id) return null;
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0 || !note.endsWith("\n")) return null;
  const text = note.slice(0, cut + 1);
  for (const line of note.slice(cut + 2, -1).split("\n")) {
    const prefix = `\u2014 ${k.name} `;
    if (!line.startsWith(prefix)) continue;
    let raw;
    try {
      raw = unb64(line.slice(prefix.length));
    } catch {
      return null;
    }
    if (raw.length !== 68 || hex(raw.slice(0, 4)) !== k.id) continue;
    const pub = await subtle.importKey("raw", k.pub, { name: "Ed25519" }, false, ["verify"]);
    const ok = await subtle.verify({ name: "Ed25519" }, pub, raw.slice(4), utf8.encode(text));
    return ok ? text : null;
  }
  return null;
}

// ---------------------------------------------------------------------------
// entries

export const ENTRY_FORMAT = "erkin.entry/v1";

/**
 * Signs an entry. `action` must be built with its keys in erkin's order
 * (see actions below): JSON.stringify then writes exactly serde_json's
 * canonical line, which the fold requires.
 */
export async function signEntry(origin, time, action, member) {
  const json = JSON.stringify({ time, action });
  return signNote(`${ENTRY_FORMAT}\n${origin}\n${json}\n`, member);
}

export const actions = {
  statement: (text) => ({ statement: { text } }),
  vote: (proposal, ballot) => ({ vote: { proposal, ballot } }),
  propose: (title, closesAt, motion) => ({ propose: { title, closes_at: closesAt, motion } }),
  admit: (key) => ({ admit: { key } }),
  remove: (handle) => ({ remove: { handle } }),
  resolution: (text) => ({ resolution: { text } }),
  elect: (seats, nominationsClose) => ({ elect: { seats, nominations_close: nominationsClose } }),
  byElection: (seats, nominationsClose) => ({ by_election: { seats, nominations_close: nominationsClose } }),
  recall: (handle) => ({ recall: { handle } }),
  amend: (charter) => ({ amend: { charter } }),
  retract: (article, reason) => ({ retract: { article, reason } }),
  redact: (target, reason) => ({ redact: { target, reason } }),
  ranked: (proposal, ranking) => ({ vote: { proposal, ballot: { ranked: ranking } } }),
  nominate: (proposal, handle) => ({ nominate: { proposal, handle } }),
  consent: (proposal) => ({ consent: { proposal } }),
  close: (proposal) => ({ close: { proposal } }),
  rotateKey: (newKey) => ({ rotate_key: { new_key: newKey } }),
  resign: () => ({ resign: {} }),
  ballotKey: (scheme, commitment) => ({ ballot_key: { scheme, commitment } }),
  stepDown: () => ({ step_down: {} }),
  correct: (f) => ({
    correct: { slug: f.slug, title: f.title, summary: f.summary, body: f.body, media: f.media || [], note: f.note, major: !!f.major },
  }),
  publish: (f) => {
    const p = {
      slug: f.slug,
      lang: f.lang,
      title: f.title,
      summary: f.summary,
      authors: f.authors,
      bylines: f.bylines || [],
      tags: f.tags,
      body: f.body,
      media: f.media || [],
    };
    if (f.translation_of) p.translation_of = f.translation_of;
    return { publish: p };
  },
};

/** The upload note's text for a blob (erkin_core::blob::upload_text). */
export function uploadText(origin, id) {
  return `erkin.upload/v1\n${origin}\n${id}\n`;
}

// ---------------------------------------------------------------------------
// receipts: RFC 6962 / 9162

async function nodeHash(l, r) {
  return sha256(concat([1], l, r));
}

export async function leafHash(entryBytes) {
  return sha256(concat([0], entryBytes));
}

/** RFC 9162 §2.1.3.2: does `proof` place `leaf` at `index` in the tree? */
export async function checkInclusion(proof, size, root, index, leaf) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/**
 * Checks a receipt (`erkin_core::api::EntryReceipt`) for `entry` against
 * the pinned log key: the checkpoint is signed by it, the leaf hash is the
 * entry's, and the proof places it in the signed tree. Returns null if it
 * checks out, else why not (a message key).
 */
export async function checkReceipt(receipt, entry, logKey) {
  const text = await openNote(receipt.checkpoint, logKey);
  if (text === null) return "receipt_bad_checkpoint";
  const lines = text.split("\n");
  const origin = logKey.split("+")[0];
  if (lines[0] !== origin || !/^[0-9]+$/.test(lines[1] || "")) return "receipt_bad_checkpoint";
  const size = Number(lines[1]);
  let root;
  try {
    root = unb64(lines[2]);
  } catch {
    return "receipt_bad_checkpoint";
  }
  const leaf = await leafHash(utf8.encode(entry));
  if (hex(leaf) !== receipt.leaf_hash) return "receipt_wrong_leaf";
  let proof;
  try {
    proof = receipt.inclusion_proof.map(unhex);
  } catch {
    return "receipt_bad_proof";
  }
  if (proof.some((p) => p.length !== 32) || !(await checkInclusion(proof, size, root, receipt.index, leaf))) {
    return "receipt_bad_proof";
  }
  return null;
}

/**
 * `value` with its object keys in the order of `template`'s (recursively;
 * keys the template lacks go last), so that JSON.stringify writes the
 * canonical line of a struct the member edited as JSON (a charter).
 */
export function orderLike(template, value) {
  if (Array.isArray(value)) return value.map((v, i) => orderLike(Array.isArray(template) ? template[i] ?? template[0] : undefined, v));
  if (value === null || typeof value !== "object") return value;
  const t = template && typeof template === "object" && !Array.isArray(template) ? template : {};
  const out = {};
  for (const k of Object.keys(t)) if (k in value) out[k] = orderLike(t[k], value[k]);
  for (const k of Object.keys(value)) if (!(k in out)) out[k] = orderLike(undefined, value[k]);
  return out;
}
