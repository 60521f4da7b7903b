// The members' desk: keys, sign-in, drafts, publishing, votes and receipts.
//
// Every sentence comes from the server's message table
// (`desk/api/messages/<lang>`, kk, ru, en); this file holds message keys only.

import * as c from "./crypto.js";
import * as ballots from "./ballot.js";
import { rankingList } from "./rank.js";

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
let skew = 0; // the server's clock minus this device's, in seconds
let published = null; // erkin_core::api::StateDocument: charter, board, members

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
  for (const e of document.querySelectorAll("[data-msg]")) e.textContent = t(e.dataset.msg);
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
    const open = indexedDB.open("erkin-desk", 2);
    open.onupgradeneeded = () => {
      for (const name of ["keys", "images"]) if (!open.result.objectStoreNames.contains(name)) open.result.createObjectStore(name);
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function idb(mode, fn, store = "keys") {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(store, mode);
    const req = fn(tx.objectStore(store));
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

// Entries are dated by the server's clock, so a device whose clock is off
// (a phone set by hand) is not refused for it; the fold still judges the time.
function learnTime() {
  skew = session.now - Math.floor(Date.now() / 1000);
}

function showWho() {
  const who = $("who");
  who.hidden = !session;
  if (session) who.textContent = t(session.editor ? "signed_in_editor" : "signed_in", { handle: session.handle });
  for (const el of document.querySelectorAll(".editors-only")) el.hidden = !(session && session.editor);
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
  learnTime();
  showWho();
  say($("status"), "signed_in", { handle: session.handle }, "ok");
  await Promise.all([listDrafts(), showBallotKey()]);
}

async function checkSession() {
  const r = await api("session");
  session = r.ok ? r.body : null;
  if (session) learnTime();
  showWho();
  if (!session && member) await signIn();
  else if (session) await showBallotKey();
}

// ---------------------------------------------------------------------------
// The ballot key (docs/BALLOT.md §4.2, §11): made here, registered with the
// member's key, its secret downloaded encrypted and not kept in this
// browser (the desk cannot cast secret ballots; `erkin vote` does).

function sayBallotKey(commitment) {
  const el = $("ballot-key-state");
  el.dataset.commitment = commitment || "";
  say(el, commitment ? "ballot_key_registered" : "ballot_key_none", { key: (commitment || "").slice(0, 16) }, commitment ? "ok" : "none");
}

async function showBallotKey() {
  if (!session) return;
  const r = await api("ballot-key");
  if (r.ok) sayBallotKey(r.body.commitment);
}

async function makeBallotKey(ev) {
  ev.preventDefault();
  const pass = $("ballot-pass").value;
  if (pass.length < 8) return say($("status"), "weak_passphrase", {}, "error");
  if (pass !== $("ballot-pass2").value) return say($("status"), "passphrases_differ", {}, "error");
  say($("status"), "making_ballot_key", {}, "busy");
  // The file is made before the key is registered, so a registered key
  // always has its file; the secret's bytes are wiped once both are made.
  const secret = ballots.newSecret();
  let commitment;
  let file;
  try {
    commitment = await ballots.commitment(secret);
    file = await c.encryptKeyFile(ballots.secretText(secret), pass);
  } finally {
    secret.fill(0);
  }
  const index = await submit(c.actions.ballotKey(ballots.SCHEME, commitment));
  if (index === null) return;
  const name = `${member.name}.ballot.age`;
  download(name, file);
  $("ballot-pass").value = $("ballot-pass2").value = "";
  // The log has it (the receipt says so); the state the desk reads follows a moment behind.
  sayBallotKey(commitment);
  say($("status"), "ballot_key_done", { index, file: name }, "ok");
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
    bylines: list($("d-bylines").value),
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
  $("d-bylines").value = (f.bylines || []).join(", ");
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

const now = () => Math.floor(Date.now() / 1000) + skew;

/**
 * Shows a refusal of the members' API in the member's language: the
 * server's own sentence for it where erkin's views have one (`said`, with
 * the handles and proposals it names), else the desk's sentence for its code.
 */
function refused(el, body) {
  const code = body && body.error ? body.error.code : "http_error";
  const said = body && body.error && body.error.said && body.error.said[lang];
  if (said) {
    el.textContent = t("refused_said", { why: said });
    el.dataset.state = "refused";
  } else say(el, `refused_${code}` in messages ? `refused_${code}` : code === "http_error" ? code : "refused_other", { code }, "refused");
  el.dataset.code = code;
}

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
    refused(el, body);
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
    refused($("receipt"), await r.json().catch(() => null));
    return null;
  }
  return id;
}

// Images: uploaded as blobs when inserted (the server keeps an upload no
// entry names for a day), kept in this browser too, and uploaded again when
// the draft is published, so a draft older than a day keeps its images.
const MEDIA_REF = /\]\(blob:([0-9a-f]{64})\.(png|jpe?g|gif|webp)\)/g;
const IMAGE_TYPES = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" };

const keepImage = (id, bytes) => idb("readwrite", (s) => s.put(bytes, `image:${id}`), "images");
const keptImage = (id) => idb("readonly", (s) => s.get(`image:${id}`), "images");

async function insertImage() {
  const file = $("d-image").files[0];
  const ext = file && IMAGE_TYPES[file.type];
  if (!ext) return say($("status"), "not_an_image", {}, "error");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const id = await uploadBlob(bytes);
  if (!id) return;
  await keepImage(id, bytes);
  const alt = $("d-image-alt").value.replace(/[\[\]]/g, "") || file.name.replace(/[\[\]]/g, "");
  const body = $("d-body");
  const at = body.selectionStart ?? body.value.length;
  body.value = `${body.value.slice(0, at)}\n\n![${alt}](blob:${id}.${ext})\n\n${body.value.slice(at)}`;
  $("d-image").value = "";
  $("d-image-alt").value = "";
  keepLocally();
  say($("status"), "image_added", { id: id.slice(0, 12) }, "ok");
}

/** The media blobs a body names, uploaded again where this browser has them. */
async function mediaOf(body) {
  const ids = [...new Set([...body.matchAll(MEDIA_REF)].map((m) => m[1]))].sort();
  for (const id of ids) {
    const bytes = await keptImage(id).catch(() => null);
    if (bytes && !(await uploadBlob(bytes))) return null;
  }
  return ids;
}

async function publish() {
  const f = readForm();
  const media = await mediaOf(f.body);
  if (!media) return;
  const body = await uploadBlob(new TextEncoder().encode(f.body));
  if (!body) return;
  const index = await submit(c.actions.publish({ ...f, body, media }));
  if (index !== null) say($("status"), "published", { slug: f.slug }, "ok");
}

/** An editor's correction of a published article: the draft's text as the new revision, with a note. */
async function correct() {
  const f = readForm();
  const note = $("c-note").value.trim();
  if (!note) return say($("status"), "correction_needs_note", {}, "error");
  const media = await mediaOf(f.body);
  if (!media) return;
  const body = await uploadBlob(new TextEncoder().encode(f.body));
  if (!body) return;
  const index = await submit(c.actions.correct({ ...f, body, media, note, major: $("c-major").checked }));
  if (index !== null) say($("status"), "corrected", { slug: f.slug }, "ok");
}

/** Opens a published article (its current revision) into a new draft, to correct it. */
async function openArticle() {
  const slug = $("c-slug").value.trim();
  const r = await fetch(`../api/v1/articles/${encodeURIComponent(slug)}`);
  if (!r.ok) return say($("status"), "no_such_article", { slug }, "error");
  const a = await r.json();
  const last = a.revisions[a.revisions.length - 1];
  const text = await fetch(`../blob/${last.body}`).then((x) => (x.ok ? x.text() : null));
  if (text === null) return say($("status"), "no_such_article", { slug }, "error");
  draftId = newId();
  draftOwner = member ? member.name : null;
  fillForm({ ...a, body: text });
  keepLocally();
  say($("status"), "article_opened", { slug }, "ok");
}

// ---------------------------------------------------------------------------
// Governance

const RON = "+reopen";
const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("aria-") || k === "role") e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...kids);
  return e;
};
const when = (t) => new Date(t * 1000).toLocaleString(lang);

async function loadPublished() {
  const r = await fetch("../api/v1/state");
  if (r.ok) published = await r.json();
  if (published) {
    $("board").textContent = t("board_now", { board: published.board.map((s) => s.handle).join(", ") || "—" });
    $("board").dataset.board = published.board.map((s) => s.handle).join(",");
  }
}

/** After an entry lands: the pages follow the log a moment behind. */
function refreshSoon() {
  setTimeout(() => listProposals(), 1200);
}

function act(action, thenKey) {
  return async () => {
    const index = await submit(action);
    if (index !== null) {
      if (thenKey) say($("status"), thenKey, { index }, "ok");
      refreshSoon();
    }
    return index;
  };
}

function voteButtons(p) {
  const mine = p.votes[session.handle];
  const group = el("p", { role: "group", "aria-label": t("vote_on", { id: p.id }) });
  for (const ballot of ["yes", "no", "abstain"]) {
    const b = el("button", { type: "button", className: `vote vote-${ballot}`, textContent: t(`ballot_${ballot}`), "aria-pressed": String(mine === ballot) });
    b.addEventListener("click", act(c.actions.vote(p.id, ballot)));
    group.append(b);
  }
  return group;
}

function nominations(p) {
  const box = el("div", { className: "nominations" });
  const ul = el("ul", { className: "nominees" });
  for (const n of p.nominations) {
    ul.append(el("li", { dataset: { nominee: n.handle, consented: String(n.consented) }, textContent: t(n.consented ? "nominee_consented" : "nominee_waiting", { handle: n.handle, by: n.by }) }));
  }
  if (!p.nominations.length) ul.append(el("li", { textContent: t("no_nominees") }));
  box.append(el("h4", { textContent: t("nominations_until", { when: when(p.nominations_close) }) }), ul);
  if (!session || !p.electorate.includes(session.handle)) return box;
  const me = p.nominations.find((n) => n.handle === session.handle);
  const row = el("p", { className: "nominate-row" });
  if (!me) {
    const stand = el("button", { type: "button", className: "stand", textContent: t("stand") });
    stand.addEventListener("click", act(c.actions.nominate(p.id, session.handle), "nominated_done"));
    row.append(stand);
  } else if (!me.consented) {
    const consent = el("button", { type: "button", className: "consent", textContent: t("consent") });
    consent.addEventListener("click", act(c.actions.consent(p.id), "consented_done"));
    row.append(consent);
  }
  const id = `nominate-${p.id}`;
  const input = el("input", { id, name: "handle", className: "nominate-handle", autocomplete: "off" });
  const go = el("button", { type: "button", className: "nominate", textContent: t("nominate") });
  go.addEventListener("click", () => act(c.actions.nominate(p.id, input.value.trim()), "nominated_done")());
  row.append(el("label", { htmlFor: id, textContent: t("nominate_label") }), " ", input, " ", go);
  box.append(row);
  return box;
}

function ballot(p) {
  const box = el("div", { className: "ballot" });
  const items = p.candidates.map((h) => ({ id: h, label: h })).concat([{ id: RON, label: t("reopen_nominations") }]);
  const holder = el("div");
  box.append(el("h4", { textContent: t("rank_heading") }), holder);
  const list = rankingList(holder, items, t, `p${p.id}`);
  const cast = el("button", { type: "button", className: "cast", textContent: t("cast_ranked") });
  cast.addEventListener("click", () => act(c.actions.ranked(p.id, list.ranking()), "ballot_cast")());
  const blank = el("button", { type: "button", className: "cast-blank", textContent: t("cast_blank") });
  blank.addEventListener("click", act(c.actions.ranked(p.id, []), "ballot_cast"));
  const mine = p.votes[session.handle];
  box.append(el("p", {}, cast, " ", blank));
  if (mine && typeof mine === "object") box.append(el("p", { className: "my-ballot", textContent: t("your_ranking", { ranking: mine.ranked.map((h) => (h === RON ? t("reopen_nominations") : h)).join(" › ") || "—" }) }));
  return box;
}

function count(p) {
  const k = p.count;
  const box = el("div", { className: "count" });
  box.append(el("h4", { textContent: t("count_heading") }), el("p", { textContent: t("quota", { quota: k.quota }) }));
  const table = el("table", { className: "stv" });
  const head = el("tr", {}, el("th", { scope: "col", textContent: t("candidate") }));
  k.stages.forEach((_, i) => head.append(el("th", { scope: "col", textContent: t("stage_n", { n: i + 1 }) })));
  const body = el("tbody");
  k.candidates.forEach((name, ci) => {
    const row = el("tr", { dataset: { candidate: name } }, el("th", { scope: "row", textContent: name + (k.elected.includes(name) ? " ✓" : "") }));
    for (const st of k.stages) row.append(el("td", { textContent: st.votes[ci] + (st.elected.includes(name) ? ` ${t("elected")}` : "") }));
    body.append(row);
  });
  const nt = el("tr", {}, el("th", { scope: "row", textContent: t("non_transferable") }));
  for (const st of k.stages) nt.append(el("td", { textContent: st.non_transferable }));
  body.append(nt);
  table.append(el("caption", { textContent: t("count_caption", { id: p.id }) }), el("thead", {}, head), body);
  const stages = el("ol", { className: "stages" });
  for (const st of k.stages) stages.append(el("li", { textContent: st.what }));
  box.append(el("div", { className: "scroll", tabIndex: 0, role: "region", "aria-label": t("count_caption", { id: p.id }) }, table), stages);
  box.append(el("p", { className: "elected-list", textContent: t("elected_list", { elected: k.elected.join(", ") || "—" }) }));
  return box;
}

/**
 * Whether proposal `id` is decided by secret ballot, from the published
 * state (its rule, fixed when it was made); null while the state does not
 * show it yet, when the desk offers no vote at all.
 */
function secretOf(id) {
  const d = published && published.proposals.find((x) => x.id === id);
  if (!d) return null;
  const rule = d.rule && Object.values(d.rule)[0];
  return !!(d.secret || (rule && rule.secret));
}

/**
 * A secret vote, for a member of its electorate: the desk casts no secret
 * ballot (no prover here: docs/BALLOT.md §14), so it says how to cast one
 * with `erkin vote` from the member's own machine, through Tor if possible.
 */
function secretNote(p, election) {
  const box = el("div", { className: "secret-vote" });
  const d = published.proposals.find((x) => x.id === p.id);
  const leaves = (d && d.secret && d.secret.leaves) || [];
  if (!leaves.some((l) => l.handle === session.handle)) {
    box.append(el("p", { className: "secret-no-key", textContent: t("secret_vote_no_key") }));
    return box;
  }
  // Placeholders, not a choice: a command pasted unread must not vote.
  const server = new URL("..", location.href).href;
  const choice = election ? "--rank RANKING" : "CHOICE";
  const command = `erkin --server ${server} vote ${p.id} ${choice} --ballot-key ${session.handle}.ballot.age --proxy socks5h://127.0.0.1:9050`;
  box.append(
    el("p", { className: "secret-note", textContent: t("secret_vote_note") }),
    el("p", {}, t("secret_vote_command"), " ", el("code", { className: "secret-command", textContent: command })),
    el("p", {
      className: "secret-choice",
      textContent: election ? t("secret_vote_ranking", { candidates: p.candidates.join(", ") || "—" }) : t("secret_vote_choice"),
    }),
  );
  return box;
}

async function listProposals() {
  const [r] = await Promise.all([fetch(`api/proposals/${lang}`), loadPublished()]);
  if (!r.ok) return;
  const doc = await r.json();
  const ul = $("proposals");
  ul.replaceChildren();
  const at = now();
  for (const p of doc.proposals.slice().reverse()) {
    const secret = secretOf(p.id);
    const li = el("li", { className: "proposal", dataset: { id: p.id, kind: p.kind, open: String(p.open), secret: String(secret) } });
    li.append(
      el("h3", { textContent: `#${p.id} ${p.title}` }),
      el("p", { textContent: `${p.motion} · ${t("proposed_by", { handle: p.proposer })}` }),
      el("p", { className: "tally", textContent: p.open ? `${t("open_until", { when: when(p.closes_at) })} · ${p.tally}` : `${p.outcome || ""} · ${p.tally}` }),
    );
    const election = p.nominations_close !== null;
    const voter = session && p.open && p.electorate.includes(session.handle);
    // A secret vote takes no signed vote (the fold refuses one:
    // secret_ballot), and only the sequencer closes it, at its deadline.
    if (election && p.open && at < p.nominations_close) li.append(nominations(p));
    else if (secret === true && voter) li.append(secretNote(p, election));
    else if (secret !== false) {
      // A secret vote for someone not in its electorate, or one the state does not show yet: nothing to cast.
    } else if (election && voter) li.append(ballot(p));
    else if (voter) li.append(voteButtons(p));
    if (p.count) li.append(count(p));
    const everyone = p.electorate.every((h) => h in p.votes);
    if (secret === false && session && p.open && (at >= p.closes_at || (everyone && (!election || at >= p.nominations_close)))) {
      const close = el("button", { type: "button", className: "close", textContent: t("close_count") });
      close.addEventListener("click", act(c.actions.close(p.id), "closed_done"));
      li.append(el("p", {}, close));
    }
    ul.append(li);
  }
  document.body.dataset.proposals = String(doc.log_size);
}

const KIND_FIELDS = {
  admit: ["arg"],
  remove: ["arg"],
  recall: ["arg"],
  resolution: ["arg"],
  elect: ["ndays"],
  by_election: ["ndays", "seats"],
  amend: ["charter"],
  retract: ["arg", "reason"],
  redact: ["arg", "reason"],
};

function showKindFields() {
  const kind = $("p-kind").value;
  for (const f of ["arg", "reason", "ndays", "seats", "charter"]) {
    const on = KIND_FIELDS[kind].includes(f);
    $(`p-${f}-row`).hidden = !on;
    $(`p-${f}`).required = on;
  }
  if (KIND_FIELDS[kind].includes("arg")) $("p-arg-label").textContent = t(`p_arg_${kind}`);
  if (kind === "amend" && published && !$("p-charter").value) $("p-charter").value = JSON.stringify(published.charter, null, 2);
}

async function propose(ev) {
  ev.preventDefault();
  const kind = $("p-kind").value;
  const arg = $("p-arg").value.trim();
  const reason = $("p-reason").value.trim();
  // Five minutes over what was asked, so a period of exactly the charter's
  // minimum is not refused for the seconds between now and the entry's date.
  const days = (id) => Math.round(Number($(id).value) * 86400) + 300;
  let closes = now() + days("p-days");
  let motion;
  if (kind === "elect" || kind === "by_election") {
    if (!published) await loadPublished();
    const nominationsClose = now() + days("p-ndays");
    closes = nominationsClose + days("p-days");
    motion = kind === "elect" ? c.actions.elect(published.charter.board.seats, nominationsClose) : c.actions.byElection(Number($("p-seats").value), nominationsClose);
  } else if (kind === "amend") {
    let charter;
    try {
      charter = JSON.parse($("p-charter").value);
    } catch {
      return say($("status"), "charter_not_json", {}, "error");
    }
    if (!published) await loadPublished();
    motion = c.actions.amend(c.orderLike(published && published.charter, charter));
  } else if (kind === "retract") motion = c.actions.retract(arg, reason);
  else if (kind === "redact") motion = c.actions.redact(arg, reason);
  else motion = c.actions[kind](arg);
  const index = await submit(c.actions.propose($("p-title").value, closes, motion));
  if (index !== null) {
    say($("status"), "proposed_done", { index }, "ok");
    refreshSoon();
  }
}

// ---------------------------------------------------------------------------
// Oneself: rotate the key, step down from the board, resign

async function rotateKey(ev) {
  ev.preventDefault();
  const pass = $("rot-pass").value;
  if (pass.length < 8) return say($("status"), "weak_passphrase", {}, "error");
  if (pass !== $("rot-pass2").value) return say($("status"), "passphrases_differ", {}, "error");
  say($("status"), "making_key", {}, "busy");
  const { member: fresh, backup } = await c.makeKey(member.name, pass);
  // The old key signs the change; only once the log has it does this browser switch.
  const index = await submit(c.actions.rotateKey(fresh.vkey));
  if (index === null) return;
  download(`${member.name}.key.age`, backup);
  member = fresh;
  await storeKey(fresh);
  $("rot-pass").value = $("rot-pass2").value = "";
  showKey();
  say($("status"), "key_rotated", { index }, "ok");
  await signIn();
}

function confirmed(box) {
  if ($(box).checked) return true;
  say($("status"), "confirm_first", {}, "error");
  return false;
}

async function stepDown() {
  if (!confirmed("step-down-sure")) return;
  const index = await submit(c.actions.stepDown());
  if (index !== null) say($("status"), "stepped_down", { index }, "ok");
}

async function resign() {
  if (!confirmed("resign-sure")) return;
  const index = await submit(c.actions.resign());
  if (index !== null) say($("status"), "resigned", { index }, "ok");
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
  if (screen === "govern") {
    showKindFields();
    listProposals();
  }
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
  $("p-kind").addEventListener("change", showKindFields);
  $("rotate-form").addEventListener("submit", rotateKey);
  $("ballot-key-form").addEventListener("submit", makeBallotKey);
  $("step-down").addEventListener("click", stepDown);
  $("resign").addEventListener("click", resign);
  $("insert-image").addEventListener("click", insertImage);
  $("correct").addEventListener("click", correct);
  $("open-article").addEventListener("click", openArticle);
  window.addEventListener("hashchange", route);
  await setLanguage(initialLanguage());
  await loadDescriptor();
  member = (await loadKey()) || null;
  showKey();
  restoreDraft();
  route();
  await checkSession();
  if (draftId) saveToServer();
  // Signed in now: the proposals again, with the member's own controls.
  if (location.hash === "#govern") await listProposals();
  document.body.dataset.ready = "true";
}

start().catch((e) => {
  document.body.dataset.ready = "failed";
  $("status").textContent = String(e);
});
