// Drives Debian's Chromium through the desk for crates/erkin/tests/suite/desk_e2e.rs.
// playwright-core from package-lock.json; no browser is downloaded.
//
//   node drive.mjs SCENARIO URL PROFILE_DIR SHOT_DIR [ARGS...]
//
// Prints one JSON document on stdout. Each scenario waits only for what the
// page says (data-state, data-code), never for a time.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [scenario, url, profile, shots, ...args] = process.argv.slice(2);
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1280, height: 900 },
  args: ["--no-sandbox"],
});
const page = ctx.pages()[0] || (await ctx.newPage());
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
// A refusal the desk shows (401 before admission) is logged by Chromium as a
// failed load; those are answers, not errors of the page.
const said = [];
page.on("console", (m) => said.push(`${m.type()}: ${m.text()}`));
page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));
const out = {};
// The requests the page made and their answers, shown if the scenario fails.
const requests = [];
// The answer is asked for after the request finished; if the scenario has
// closed the browser meanwhile, that question fails, and must not end the
// script before it prints its JSON (an unhandled rejection would).
page.on("requestfinished", (r) =>
  r.response().then(
    (a) => requests.push(`${r.method()} ${r.url()} ${a?.status()}`),
    () => requests.push(`${r.method()} ${r.url()} (answer not read: browser closed)`),
  ),
);
page.on("requestfailed", (r) => requests.push(`${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));

async function ready(hash = "") {
  await page.goto(`${url}/desk/${hash}`);
  await page.waitForSelector("body[data-ready]");
  if ((await page.getAttribute("body", "data-ready")) !== "true") throw new Error(await page.textContent("#status"));
}

async function shot(name) {
  for (const [w, h] of [[390, 844], [1280, 900]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: `${shots}/${name}-${w}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function signedIn() {
  await page.waitForFunction(() => document.querySelector("#who") && !document.querySelector("#who").hidden);
}

const RECEIPT = "#receipt[data-state='genuine'], #receipt[data-state='refused'], #receipt[data-state='not-genuine']";

/** Waits for the desk's answer to an entry; what it said. */
async function receipt(into = out) {
  await page.waitForSelector(RECEIPT);
  into.receipt = await page.getAttribute("#receipt", "data-state");
  into.code = await page.getAttribute("#receipt", "data-code");
  into.text = await page.textContent("#receipt");
  into.status = await page.textContent("#status");
  into.lang = await page.getAttribute("html", "lang");
}

/** The governance screen once `selector` (in proposal `id`) is there: the
 * proposals come from the rendered pages, a moment behind the log. */
async function proposal(id, selector) {
  const want = `li.proposal[data-id='${id}'] ${selector}`;
  for (let attempt = 0; ; attempt++) {
    await ready("#govern");
    await signedIn();
    try {
      await page.waitForSelector(want, { timeout: 2000 });
      return want;
    } catch (e) {
      if (attempt >= 30) throw e;
    }
  }
}

try {
  if (scenario === "open-key") {
    const [keyFile, pass, lang] = args;
    await ready();
    if (lang) await page.selectOption("#lang", lang);
    await page.setInputFiles("#open-file", keyFile);
    await page.fill("#open-pass", pass);
    await page.click("#open-key");
    await signedIn();
    out.handle = await page.textContent("#key-handle");
    out.vkey = await page.inputValue("#key-vkey");
  } else if (scenario === "nominate") {
    // ARGS: proposal, handle (or "self" to stand, "consent" to consent).
    const [id, who] = args;
    const sel = who === "self" ? "button.stand" : who === "consent" ? "button.consent" : "input.nominate-handle";
    const at = await proposal(id, sel);
    await shot("election-nominations");
    if (who === "self" || who === "consent") await page.click(at);
    else {
      await page.fill(at, who);
      await page.click(`li.proposal[data-id='${id}'] button.nominate`);
    }
    await receipt();
  } else if (scenario === "rank") {
    // ARGS: proposal, "keyboard" or "drag", the wanted ranking (comma-separated; +reopen for RON).
    const [id, how, wanted] = args;
    const want = wanted.split(",").filter(Boolean);
    const list = await proposal(id, "ol.ranking");
    const order = () => page.$$eval(`${list} > li`, (lis) => lis.map((li) => li.dataset.candidate));
    for (let place = 0; place < want.length; place++) {
      let now = await order();
      let from = now.indexOf(want[place]);
      if (from < 0) throw new Error(`${want[place]} is not on the ballot: ${now}`);
      if (how === "drag") {
        if (from !== place) {
          await page.dragAndDrop(`${list} > li[data-candidate='${want[place]}']`, `${list} > li:nth-child(${place + 1})`);
        }
      } else {
        // Keyboard only: Tab reaches the buttons; Enter presses them.
        while (from > place) {
          await page.focus(`${list} > li[data-candidate='${want[place]}'] button.rank-up`);
          await page.keyboard.press("Enter");
          from--;
        }
      }
      now = await order();
      if (now[place] !== want[place]) throw new Error(`moving ${want[place]} to ${place + 1} by ${how} left ${now}`);
      // What a screen reader heard (the live region), after each move.
      out.heard = out.heard || [];
      out.heard.push(await page.textContent(`li.proposal[data-id='${id}'] .rank-live`));
    }
    // Everyone not wanted is left off the ballot (the checkbox, by keyboard: Space).
    for (const c of await order()) {
      if (!want.includes(c)) {
        await page.focus(`${list} > li[data-candidate='${c}'] input[type=checkbox]`);
        await page.keyboard.press("Space");
      }
    }
    out.live = await page.textContent(`li.proposal[data-id='${id}'] .rank-live`);
    out.order = await order();
    await shot(`election-rank-${how}`);
    out.html = await page.content();
    await page.click(`li.proposal[data-id='${id}'] button.cast`);
    await receipt();
  } else if (scenario === "close") {
    const [id] = args;
    const at = await proposal(id, "button.close");
    await page.click(at);
    await receipt();
  } else if (scenario === "count") {
    // The STV count stage by stage, once the election is closed.
    const [id] = args;
    const at = await proposal(id, ".count table.stv");
    out.stages = await page.$$eval(`li.proposal[data-id='${id}'] ol.stages > li`, (lis) => lis.map((li) => li.textContent));
    out.elected = await page.textContent(`li.proposal[data-id='${id}'] .elected-list`);
    out.board = await page.getAttribute("#board", "data-board");
    out.table = await page.textContent(at);
    // Each candidate's first-stage votes, as shown.
    out.first = Object.fromEntries(
      await page.$$eval(`li.proposal[data-id='${id}'] table.stv tr[data-candidate]`, (rows) => rows.map((r) => [r.dataset.candidate, r.querySelector("td").textContent])),
    );
    await shot("election-count");
    out.html = await page.content();
  } else if (scenario === "act") {
    // ARGS: step-down | resign | rotate PASS
    const [what, pass] = args;
    await ready("#key");
    await signedIn();
    if (what === "rotate") {
      out.old_vkey = await page.inputValue("#key-vkey");
      await page.fill("#rot-pass", pass);
      await page.fill("#rot-pass2", pass);
      const download = page.waitForEvent("download");
      await page.click("#rotate");
      await receipt();
      if (out.receipt === "genuine") {
        await (await download).saveAs(args[2]);
        await page.waitForSelector("#status[data-code='signed_in']");
        out.vkey = await page.inputValue("#key-vkey");
      }
    } else {
      await page.check(`#${what}-sure`, { force: true });
      await page.click(`#${what}`, { force: true });
      await receipt();
    }
    await shot(`act-${what}-${out.receipt}`);
  } else if (scenario === "make-key") {
    const [handle, pass, outFile, lang] = args;
    await ready();
    await page.selectOption("#lang", lang || "en");
    await shot("key");
    await page.fill("#make-handle", handle);
    await page.fill("#make-pass", pass);
    await page.fill("#make-pass2", pass);
    const download = page.waitForEvent("download");
    await page.click("#make-key");
    await (await download).saveAs(outFile);
    await page.waitForFunction(() => document.querySelector("#key-vkey").value.length > 0);
    out.vkey = await page.inputValue("#key-vkey");
    // After the key, the desk tries to sign in: wait for its answer.
    await page.waitForSelector("#status[data-code='not_a_member'], #status[data-code='signed_in']");
    out.status_code = await page.getAttribute("#status", "data-code");
    // What the browser keeps: a CryptoKey it will not export.
    out.kept = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open("erkin-desk", 2);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction("keys").objectStore("keys").get("member");
            get.onsuccess = () => {
              const k = get.result.key;
              resolve({ type: k.type, extractable: k.extractable, algorithm: k.algorithm.name, fields: Object.keys(get.result).sort() });
            };
          };
        }),
    );
    out.html = await page.content();
  } else if (scenario === "write") {
    const [text, more] = args;
    await ready("#write");
    await signedIn();
    await page.click("#new-draft");
    await page.fill("#d-title", "River news");
    await page.fill("#d-slug", "river-news");
    await page.fill("#d-summary", "The river rose.");
    // Typed key by key, as a person does; the reload comes mid-sentence.
    await page.focus("#d-body");
    await page.keyboard.type(text);
    await page.reload();
    await page.waitForSelector("body[data-ready='true']");
    out.after_reload = await page.inputValue("#d-body");
    await signedIn();
    await page.focus("#d-body");
    await page.keyboard.press("End");
    await page.keyboard.type(more);
    await page.waitForSelector("#save-state[data-state='server']");
    await page.click("#preview-button");
    await page.waitForSelector("#preview p");
    await shot("write");
    await page.click("#hand-off");
    await page.waitForSelector("#status[data-code='handed_off_done']");
    out.body = await page.inputValue("#d-body");
    out.draft = await page.evaluate(() => localStorage.getItem("erkin-desk-current"));
    out.html = await page.content();
  } else if (scenario === "open-key-publish") {
    const [keyFile, pass] = args;
    await ready();
    await page.setInputFiles("#open-file", keyFile);
    await page.fill("#open-pass", pass);
    await page.click("#open-key");
    await signedIn();
    out.handle = await page.textContent("#key-handle");
    await page.goto(`${url}/desk/#write`);
    await page.waitForSelector("body[data-ready='true']");
    await signedIn();
    await page.waitForSelector("button.draft");
    await page.click("button.draft");
    await page.waitForFunction(() => document.querySelector("#d-body").value.length > 0);
    await page.fill("#d-authors", args[2] || "");
    if (args[3]) await page.fill("#d-bylines", args[3]);
    if (args[4]) {
      // An image: uploaded as a blob, its reference put in the text.
      await page.setInputFiles("#d-image", args[4]);
      await page.fill("#d-image-alt", "The flooded square");
      await page.click("#insert-image");
      await page.waitForSelector("#status[data-code='image_added'], #receipt[data-state='refused']");
      out.image_status = await page.getAttribute("#status", "data-code");
    }
    await page.click("#publish");
    await page.waitForSelector("#receipt[data-state='genuine'], #receipt[data-state='refused'], #receipt[data-state='not-genuine']");
    out.receipt = await page.getAttribute("#receipt", "data-state");
    out.code = await page.getAttribute("#receipt", "data-code");
    out.index = await page.getAttribute("#receipt", "data-index");
    await shot("publish");
  } else if (scenario === "correct") {
    // An editor opens a published article as a draft, corrects it and publishes the correction.
    const [slug, addition, note, major] = args;
    await ready("#write");
    await signedIn();
    await page.fill("#c-slug", slug);
    await page.click("#open-article");
    await page.waitForSelector("#status[data-code='article_opened']");
    await page.focus("#d-body");
    await page.keyboard.press("Control+End");
    await page.keyboard.type(addition);
    await page.fill("#c-note", note);
    if (major === "major") await page.check("#c-major");
    await shot("correct");
    await page.click("#correct");
    await receipt();
    out.index = await page.getAttribute("#receipt", "data-index");
  } else if (scenario === "vote-tampered") {
    // Votes yes on proposal ARGS[0]; the answer is tampered on its way
    // (the proof's first hash changed), and the desk must say so.
    const [id, tamper] = args;
    if (tamper === "tamper") {
      await page.route("**/api/v1/entries", async (route) => {
        const response = await route.fetch();
        const receipt = await response.json();
        if (receipt.inclusion_proof && receipt.inclusion_proof.length > 0) {
          const h = receipt.inclusion_proof[0];
          receipt.inclusion_proof[0] = (h[0] === "0" ? "1" : "0") + h.slice(1);
        }
        await route.fulfill({ response, json: receipt });
      });
    }
    await ready("#govern");
    await signedIn();
    // The proposals come from the rendered pages, which follow the log a
    // moment behind: look again until the proposal is there.
    const button = `li.proposal[data-id='${id}'] button.vote-yes`;
    for (let attempt = 0; ; attempt++) {
      try {
        await page.waitForSelector(button, { timeout: 2000 });
        break;
      } catch (e) {
        if (attempt >= 30) throw e;
        await page.reload();
        await page.waitForSelector("body[data-ready='true']");
        await signedIn();
      }
    }
    await shot("govern");
    // Keyboard only: focus the button and press Enter.
    await page.focus(`li.proposal[data-id='${id}'] button.vote-yes`);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#receipt[data-state='genuine'], #receipt[data-state='refused'], #receipt[data-state='not-genuine']");
    out.receipt = await page.getAttribute("#receipt", "data-state");
    out.code = await page.getAttribute("#receipt", "data-code");
    out.text = await page.textContent("#receipt");
    await shot(tamper === "tamper" ? "receipt-not-genuine" : "receipt");
  } else if (scenario === "propose") {
    // ARGS: kind, title, arg, days[, nomination days | reason | charter edit as JSON]
    const [kind, title, arg, days, extra] = args;
    await ready("#govern");
    await signedIn();
    await page.selectOption("#p-kind", kind);
    await page.fill("#p-title", title);
    if (arg) await page.fill("#p-arg", arg);
    await page.fill("#p-days", days);
    if (kind === "elect" || kind === "by_election") await page.fill("#p-ndays", extra);
    if (kind === "retract" || kind === "redact") await page.fill("#p-reason", extra);
    if (kind === "amend") {
      // The member changes values in the charter's JSON (as a person edits the text).
      const edit = JSON.parse(extra);
      const charter = JSON.parse(await page.inputValue("#p-charter"));
      for (const [path, value] of Object.entries(edit)) {
        const keys = path.split(".");
        let at = charter;
        for (const k of keys.slice(0, -1)) at = at[k];
        at[keys[keys.length - 1]] = value;
      }
      await page.fill("#p-charter", JSON.stringify(charter, null, 2));
    }
    // (No screenshot here: taking one, which resizes the page twice, just
    // before the click left the click without effect in Chromium; the
    // screenshot after the answer shows the filled form.)
    await page.click("#propose");
    await receipt();
    out.index = await page.getAttribute("#receipt", "data-index");
    await shot(`propose-${kind}-${out.receipt}`);
  } else if (scenario === "ballot-key") {
    // ARGS: passphrase, where to save the downloaded ballot key file.
    const [pass, outFile] = args;
    await ready("#key");
    await signedIn();
    await page.waitForSelector("#ballot-key-state[data-code]");
    out.before = await page.getAttribute("#ballot-key-state", "data-code");
    await page.fill("#ballot-pass", pass);
    await page.fill("#ballot-pass2", pass);
    const download = page.waitForEvent("download");
    await page.click("#make-ballot-key");
    await receipt();
    if (out.receipt === "genuine") {
      const d = await download;
      out.file_name = d.suggestedFilename();
      await d.saveAs(outFile);
      await page.waitForSelector("#status[data-code='ballot_key_done']");
      out.status_code = await page.getAttribute("#status", "data-code");
    }
    out.after = await page.getAttribute("#ballot-key-state", "data-code");
    out.commitment = await page.getAttribute("#ballot-key-state", "data-commitment");
    await shot("ballot-key");
    // Everything this browser keeps for the desk (IndexedDB and
    // localStorage), bytes as hex: the ballot secret must not be in it.
    out.storage = await page.evaluate(async () => {
      const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      const show = (v) =>
        JSON.stringify(v, (k, x) => (x instanceof CryptoKey ? `CryptoKey(${x.type},${x.extractable})` : x instanceof Uint8Array ? hex(x) : x));
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open("erkin-desk", 2);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => resolve(open.result);
      });
      const all = [];
      for (const name of db.objectStoreNames) {
        const store = db.transaction(name).objectStore(name);
        const [keys, values] = await Promise.all(
          [store.getAllKeys(), store.getAll()].map((r) => new Promise((resolve) => (r.onsuccess = () => resolve(r.result)))),
        );
        keys.forEach((k, i) => all.push(`${name}/${k}=${show(values[i])}`));
      }
      for (let i = 0; i < localStorage.length; i++) all.push(`local/${localStorage.key(i)}=${localStorage.getItem(localStorage.key(i))}`);
      return all.join("\n");
    });
  } else if (scenario === "secret-view") {
    // ARGS: proposal, what to wait for in it (a selector).
    const [id, wait] = args;
    const at = await proposal(id, wait);
    const li = `li.proposal[data-id='${id}']`;
    out.secret = await page.getAttribute(li, "data-secret");
    out.tally = await page.textContent(`${li} .tally`);
    out.buttons = await page.$$eval(`${li} button`, (bs) => bs.map((b) => b.className));
    out.note = await page.$eval(li, (e) => (e.querySelector(".secret-note, .secret-no-key") || {}).textContent || null);
    out.command = await page.$eval(li, (e) => (e.querySelector(".secret-command") || {}).textContent || null);
    out.choice = await page.$eval(li, (e) => (e.querySelector(".secret-choice") || {}).textContent || null);
    out.found = await page.textContent(at);
    await shot(`secret-${id}-${await page.getAttribute("html", "lang")}`);
    out.html = await page.content();
  } else if (scenario === "preview-hostile") {
    // Hostile Markdown (the markers of erkin-views' hostile corpus) in a
    // draft's preview: nothing may run.
    const [bodyFile] = args;
    const { readFileSync } = await import("node:fs");
    await ready("#write");
    await signedIn();
    await page.click("#new-draft");
    await page.fill("#d-title", "Hostile");
    await page.fill("#d-body", readFileSync(bodyFile, "utf8"));
    await page.click("#preview-button");
    await page.waitForFunction(() => document.querySelector("#preview").textContent.includes("END OF CASES"));
    out.title = await page.title();
    out.pwned_attribute = await page.evaluate(() => document.body.hasAttribute("data-pwned"));
    out.dom_has_marker = (await page.content()).includes("PWNED");
    await shot("preview-hostile");
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  out.errors = errors;
} catch (e) {
  out.failed = String(e.stack || e);
  out.errors = errors;
  try {
    out.requests = requests.slice(-12);
    out.console = said.slice(-12);
    out.receipt_html = await page.innerHTML("#receipt").catch(() => null);
    out.status = await page.textContent("#status");
    // Form fields the browser holds invalid (they stop a form's submission).
    out.invalid = await page.evaluate(() => [...document.querySelectorAll("#propose-form :invalid, #draft-form :invalid")].map((e) => `${e.id}=${e.value}`));
    await page.screenshot({ path: `${shots}/failed-${scenario}.png` });
  } catch {}
}
await ctx.close().catch((e) => (out.close_failed = String(e)));
process.stdout.write(JSON.stringify(out));
