// The members' desk: keys, sign-in, drafts, publishing, votes and receipts.
//
// Every sentence comes from the server's message table
// (`desk/api/messages/<lang>`, kk, ru, en); this file holds message keys only.

import * as c from "./crypto.js";

const $ = (id) => document.getElementById(id);
const LANGS = ["kk", "ru", "en"];
let messages = {};
let lang = "en";
let member = null; // { name, pub, vkey, key }
let session = null; // erkin_core::api::DeskSession
let descriptor = null; // erkin.json: { origin, verifier_key, ... }
let draftId = null;
let draftOwner = null;
let saveTimer = null;
let previewTimer = null;

function t(key, vars = {}) {
  let s = messages[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

function say(el, key, vars, state) {
  el.textContent = t(key, vars);
  el.dataset.code = key;
  if (state) el.dataset.state = state;
}

// ---------------------------------------------------------------------------
// Language

async function setLanguage(l) {
  lang = LANGS.includes(l) ? l : "en";
  localStorage.setItem("erkin-desk-lang", lang);
  const r = await fetch(`api/messages/${lang}`);
  messages = (await r.json()).messages;
  document.documentElement.lang = lang;
  $("lang").value = lang;
  for (const el of document.querySelectorAll("[data-msg]")) el.textContent = t(el.dataset.msg);
  document.title = t("desk_title");
  if (session) showWho();
}

function initialLanguage() {
  const saved = localStorage.getItem("erkin-desk-lang");
  if (LANGS.includes(saved)) return saved;
  const nav = (navigator.language || "en").slice(0, 2);
  return LANGS.includes(nav) ? nav : "en";
}

// ---------------------------------------------------------------------------
// The key, kept in IndexedDB as a non-extractable CryptoKey

function db() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("erkin-desk", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("keys");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function idb(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction("keys", mode);
    const req = fn(tx.objectStore("keys"));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
  });
}

const storeKey = (m) => idb("readwrite", (s) => s.put({ name: m.name, pub: m.pub, vkey: m.vkey, key: m.key }, "member"));
const loadKey = () => idb("readonly", (s) => s.get("member"));
const forgetKey = () => idb("readwrite", (s) => s.delete("member"));

function download(name, text) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "application/octet-stream" }));
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

function showKey() {
  $("key-present").hidden = !member;
  $("key-absent").hidden = !!member;
  if (member) {
    $("key-handle").textContent = member.name;
    $("key-vkey").value = member.vkey;
  }
}

async function makeKey(ev) {
  ev.preventDefault();
  const name = $("make-handle").value.trim();
  const pass = $("make-pass").value;
  if (!c.validName(name)) return say($("status"), "bad_handle", {}, "error");
  if (pass.length < 8) return say($("status"), "weak_passphrase", {}, "error");
  if (pass !== $("make-pass2").value) return say($("status"), "passphrases_differ", {}, "error");
  say($("status"), "making_key", {}, "busy");
  const { member: m, backup } = await c.makeKey(name, pass);
  download(`${name}.key.age`, backup);
  member = m;
  await storeKey(m);
  $("make-pass").value = $("make-pass2").value = "";
  showKey();
  say($("status"), "key_made", { handle: name }, "ok");
  await signIn();
}

async function openKey(ev) {
  ev.preventDefault();
  const file = $("open-file").files[0];
  if (!file || file.size > 65536) return say($("status"), "not_a_key_file", {}, "error");
  say($("status"), "opening_key", {}, "busy");
  try {
    member = await c.openKeyFile(await file.text(), $("open-pass").value);
  } catch (e) {
    return say($("status"), e.code || "not_a_key_file", {}, "error");
  }
  $("open-pass").value = "";
  await storeKey(member);
  showKey();
  say($("status"), "key_opened", { handle: member.name }, "ok");
  await signIn();
}

// ---------------------------------------------------------------------------
// The publication and its pinned key

async function loadDescriptor() {
  const d = await (await fetch("../erkin.json")).json();
  const pinned = localStorage.getItem("erkin-desk-log-key");
  if (pinned && pinned !== d.verifier_key) {
    say($("status"), "log_key_changed", { pinned, served: d.verifier_key }, "error");
    throw new Error("log key changed");
  }
  localStorage.setItem("erkin-desk-log-key", d.verifier_key);
  descriptor = d;
}

// ---------------------------------------------------------------------------
// Sign-in: a challenge signed by the member's key

async function api(path, init = {}) {
  const r = await fetch(`api/${path}`, { credentials: "same-origin", ...init });
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  return { ok: r.ok, status: r.status, body };
}

function refusal(r) {
  return r.body && r.body.error ? r.body.error.code : "http_error";
}

function showWho() {
  const who = $("who");
  who.hidden = !session;
  if (session) who.textContent = t(session.editor ? "signed_in_editor" : "signed_in", { handle: session.handle });
  $("publish").hidden = !(session && session.editor);
}

async function signIn() {
  if (!member) return;
  const ch = await api("challenge", { method: "POST" });
  if (!ch.ok) return say($("status"), refusal(ch), {}, "error");
  const note = await c.signNote(ch.body.text, member);
  const r = await api("session", { method: "POST", headers: { "content-type": "text/plain" }, body: note });
  if (!r.ok) {
    session = null;
    showWho();
    return say($("status"), refusal(r), { key: member.vkey }, "error");
  }
  session = r.body;
  showWho();
  say($("status"), "signed_in", { handle: session.handle }, "ok");
  await listDrafts();
}

async function checkSession() {
  const r = await api("session");
  session = r.ok ? r.body : null;
  showWho();
  if (!session && member) await signIn();
}

// ---------------------------------------------------------------------------
// Drafts: every keystroke kept in this browser; the server's copy follows

const LOCAL = "erkin-desk-draft:";
const CURRENT = "erkin-desk-current";

function newId() {
  return c.hex(crypto.getRandomValues(new Uint8Array(16)));
}

const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

function readForm() {
  return {
    title: $("d-title").value,
    lang: $("d-lang").value,
    slug: $("d-slug").value.trim(),
    summary: $("d-summary").value,
    tags: list($("d-tags").value),
    authors: list($("d-authors").value),
    translation_of: $("d-translation").value.trim() || null,
    body: $("d-body").value,
  };
}

function fillForm(f) {
  $("d-title").value = f.title || "";
  $("d-lang").value = f.lang || lang;
  $("d-slug").value = f.slug || "";
  $("d-summary").value = f.summary || "";
  $("d-tags").value = (f.tags || []).join(", ");
  $("d-authors").value = (f.authors || []).join(", ");
  $("d-translation").value = f.translation_of || "";
  $("d-body").value = f.body || "";
}

function keepLocally() {
  if (!draftId) {
    draftId = newId();
    draftOwner = member ? member.name : null;
  }
  localStorage.setItem(LOCAL + draftId, JSON.stringify({ owner: draftOwner, fields: readForm() }));
  localStorage.setItem(CURRENT, draftId);
  say($("save-state"), "saved_here", {}, "local");
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveToServer, 700);
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 900);
}

async function saveToServer() {
  if (!session || !draftId) return;
  const r = await api(`drafts/${draftId}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(readForm()),
  });
  if (r.ok) say($("save-state"), "saved_server", {}, "server");
  else say($("save-state"), refusal(r), {}, "error");
}

async function openDraft(id) {
  const r = await api(`drafts/${id}`);
  if (!r.ok) return say($("status"), refusal(r), {}, "error");
  draftId = id;
  draftOwner = r.body.owner;
  const local = JSON.parse(localStorage.getItem(LOCAL + id) || "null");
  fillForm(local ? local.fields : r.body.fields);
  localStorage.setItem(CURRENT, id);
  say($("save-state"), "saved_server", {}, "server");
  preview();
}

function newDraft() {
  draftId = newId();
  draftOwner = member ? member.name : null;
  fillForm({ lang, authors: member ? [member.name] : [] });
  keepLocally();
}

async function listDrafts() {
  if (!session) return;
  const r = await api("drafts");
  const ul = $("drafts");
  ul.replaceChildren();
  if (!r.ok) return;
  for (const d of r.body.drafts) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "draft";
    b.dataset.id = d.id;
    b.textContent = `${d.title || t("untitled")} — ${d.owner}${d.handed_off ? " · " + t("handed_off") : ""}`;
    b.addEventListener("click", () => openDraft(d.id));
    li.append(b);
    ul.append(li);
  }
}

function restoreDraft() {
  const id = localStorage.getItem(CURRENT);
  const local = id && JSON.parse(localStorage.getItem(LOCAL + id) || "null");
  if (local) {
    draftId = id;
    draftOwner = local.owner;
    fillForm(local.fields);
    say($("save-state"), "saved_here", {}, "local");
  }
}

async function preview() {
  if (!session) return;
  const r = await api("preview", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ markdown: $("d-body").value }),
  });
  // The server's sanitized rendering (the site's own renderer); the
  // desk's policy lets no script run in it either.
  if (r.ok) $("preview").innerHTML = r.body.html;
}

async function handOff() {
  await saveToServer();
  const r = await api(`drafts/${draftId}/handoff`, { method: "POST" });
  if (r.ok) say($("status"), "handed_off_done", {}, "ok");
  else say($("status"), refusal(r), {}, "error");
  await listDrafts();
}

// ---------------------------------------------------------------------------
// Entries and receipts

const now = () => Math.floor(Date.now() / 1000);

async function submit(action) {
  const entry = await c.signEntry(descriptor.origin, now(), action, member);
  const r = await fetch("../api/v1/entries", {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: entry,
  });
  const body = await r.json().catch(() => null);
  const el = $("receipt");
  if (!r.ok) {
    say(el, body && body.error ? `refused_${body.error.code}` : "http_error", {}, "refused");
    el.dataset.code = body && body.error ? body.error.code : "http_error";
    return null;
  }
  const why = await c.checkReceipt(body, entry, descriptor.verifier_key);
  if (why) {
    say(el, "receipt_not_genuine", { why: t(why) }, "not-genuine");
    el.dataset.code = why;
    return null;
  }
  say(el, "receipt_ok", { index: body.index }, "genuine");
  el.dataset.index = body.index;
  return body.index;
}

async function uploadBlob(bytes) {
  const id = c.hex(await c.sha256(bytes));
  const note = await c.signNote(c.uploadText(descriptor.origin, id), member);
  const r = await fetch("../api/v1/blobs", {
    method: "POST",
    headers: { "content-type": "application/octet-stream", "erkin-upload": c.b64(new TextEncoder().encode(note)) },
    body: bytes,
  });
  if (!r.ok) {
    const body = await r.json().catch(() => null);
    say($("receipt"), body && body.error ? `refused_${body.error.code}` : "http_error", {}, "refused");
    return null;
  }
  return id;
}

async function publish() {
  const f = readForm();
  const body = await uploadBlob(new TextEncoder().encode(f.body));
  if (!body) return;
  const index = await submit(c.actions.publish({ ...f, body }));
  if (index !== null) say($("status"), "published", { slug: f.slug }, "ok");
}

// ---------------------------------------------------------------------------
// Governance

async function listProposals() {
  const r = await fetch(`api/proposals/${lang}`);
  if (!r.ok) return;
  const doc = await r.json();
  const ul = $("proposals");
  ul.replaceChildren();
  for (const p of doc.proposals.slice().reverse()) {
    const li = document.createElement("li");
    li.className = "proposal";
    li.dataset.id = p.id;
    const h = document.createElement("h3");
    h.textContent = `#${p.id} ${p.title}`;
    const what = document.createElement("p");
    what.textContent = `${p.motion} · ${t("proposed_by", { handle: p.proposer })}`;
    const tally = document.createElement("p");
    tally.className = "tally";
    tally.textContent = p.open ? `${t("open_until", { when: new Date(p.closes_at * 1000).toLocaleString(lang) })} · ${p.tally}` : `${p.outcome || ""} · ${p.tally}`;
    li.append(h, what, tally);
    if (p.open && session && p.electorate.includes(session.handle) && p.kind !== "elect") {
      const mine = p.votes[session.handle];
      const group = document.createElement("p");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", t("vote_on", { id: p.id }));
      for (const ballot of ["yes", "no", "abstain"]) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = `vote vote-${ballot}`;
        b.textContent = t(`ballot_${ballot}`);
        b.setAttribute("aria-pressed", String(mine === ballot));
        b.addEventListener("click", async () => {
          if ((await submit(c.actions.vote(p.id, ballot))) !== null) setTimeout(listProposals, 1200);
        });
        group.append(b);
      }
      li.append(group);
    }
    ul.append(li);
  }
}

async function propose(ev) {
  ev.preventDefault();
  const kind = $("p-kind").value;
  const arg = $("p-arg").value.trim();
  const motion = kind === "admit" ? c.actions.admit(arg) : kind === "remove" ? c.actions.remove(arg) : c.actions.resolution(arg);
  const closes = now() + Number($("p-days").value) * 86400;
  if ((await submit(c.actions.propose($("p-title").value, closes, motion))) !== null) setTimeout(listProposals, 1200);
}

// ---------------------------------------------------------------------------
// Screens

function route() {
  const screen = (location.hash || "#key").slice(1);
  for (const s of ["key", "write", "govern"]) {
    $(`screen-${s}`).hidden = s !== screen;
    if (s === screen) $(`nav-${s}`).setAttribute("aria-current", "page");
    else $(`nav-${s}`).removeAttribute("aria-current");
  }
  if (screen === "govern") listProposals();
  if (screen === "write") listDrafts();
}

async function start() {
  $("lang").addEventListener("change", () => setLanguage($("lang").value).then(route));
  $("make-key-form").addEventListener("submit", makeKey);
  $("open-key-form").addEventListener("submit", openKey);
  $("sign-in").addEventListener("click", signIn);
  $("forget-key").addEventListener("click", async () => {
    await forgetKey();
    member = null;
    showKey();
  });
  $("draft-form").addEventListener("input", keepLocally);
  $("draft-form").addEventListener("submit", (e) => e.preventDefault());
  $("new-draft").addEventListener("click", newDraft);
  $("preview-button").addEventListener("click", preview);
  $("hand-off").addEventListener("click", handOff);
  $("publish").addEventListener("click", publish);
  $("propose-form").addEventListener("submit", propose);
  window.addEventListener("hashchange", route);
  await setLanguage(initialLanguage());
  await loadDescriptor();
  member = (await loadKey()) || null;
  showKey();
  restoreDraft();
  route();
  await checkSession();
  if (draftId) saveToServer();
  document.body.dataset.ready = "true";
}

start().catch((e) => {
  document.body.dataset.ready = "failed";
  $("status").textContent = String(e);
});
