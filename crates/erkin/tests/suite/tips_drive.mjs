// Drives Debian's Chromium as a source would, JavaScript off, for
// crates/erkin/tests/suite/tips.rs. playwright-core from desk/node_modules;
// no browser is downloaded.
//
//   DESK=desk node tips_drive.mjs submit URL UA MESSAGE FILE1 FILE2
//   DESK=desk node tips_drive.mjs return URL UA CODENAME
//
// Prints one JSON document: the status, the page's text, the codename.
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(resolve(process.env.DESK, "package.json"));
const { chromium } = require("playwright-core");

const [scenario, url, ua, ...args] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox"],
});
const ctx = await browser.newContext({ javaScriptEnabled: false, userAgent: ua });
const page = await ctx.newPage();
const out = { scripts: 0 };
await page.goto(`${url}/tips/en/`);
out.scripts = await page.locator("script").count();
let response;
if (scenario === "submit") {
  const [message, f1, f2] = args;
  await page.fill("#message", message);
  await page.setInputFiles("#file", [f1, f2]);
  [response] = await Promise.all([
    page.waitForNavigation(),
    page.click("form[action$='/submit'] button[type=submit]"),
  ]);
  out.codename = (await page.locator("#codename").count()) ? await page.textContent("#codename") : null;
} else {
  await page.fill("#codename", args[0]);
  [response] = await Promise.all([
    page.waitForNavigation(),
    page.click("form[action$='/return'] button[type=submit]"),
  ]);
}
out.status = response.status();
out.text = await page.textContent("body");
out.cookies = (await ctx.cookies()).length;
console.log(JSON.stringify(out));
await browser.close();
