// Builds the desk into dist/: one bundled, minified script (esbuild, pinned
// by package-lock.json), the page and the style sheet. dist/ is committed,
// so `cargo build` needs no node; CI rebuilds it and compares byte for byte.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

mkdirSync("dist", { recursive: true });
await build({
  entryPoints: ["src/app.js"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome120", "firefox130", "safari17"],
  outfile: "dist/desk.js",
  legalComments: "eof",
  logLevel: "warning",
});
copyFileSync("src/index.html", "dist/index.html");
copyFileSync("src/desk.css", "dist/desk.css");
