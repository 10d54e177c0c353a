// Fails the build when the start page's JavaScript + CSS exceed 60 KiB gzipped (issue #21
// item 4). It reads the chunks Vite wrote (dist/.vite/manifest.json, build.manifest) and sums
// what a patient's first page loads, gzipped:
// - signed out: the entry (index.html's script), every chunk it imports statically, and
//   their CSS: the start page is in the entry (pages/routes.ts);
// - signed in: the same, plus Login and security settings (src/pages/account/security.ts),
//   where the start page sends someone already signed in, and what that area imports.
// Every other area is loaded when first opened (pages/lazy.ts) and is not counted.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";
import { gzipSync } from "node:zlib";

const LIMIT = 60 * 1024;
const SIGNED_IN_PAGE = "src/pages/account/security.ts";

const dist = fileURLToPath(new URL("../dist", import.meta.url));
const manifest = JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8"));

/** The files a chunk needs before it runs: itself, its static imports (transitively), their CSS. */
function files(key, seen = new Set()) {
  const chunk = manifest[key];
  if (!chunk) throw new Error(`${key} is not in dist/.vite/manifest.json`);
  if (seen.has(key)) return [];
  seen.add(key);
  return [chunk.file, ...(chunk.css ?? []), ...(chunk.imports ?? []).flatMap((dep) => files(dep, seen))];
}

// Once the build has stored a file gzipped at level 9 (compress-dist.mjs), that is its size.
const gzipped = (file) =>
  existsSync(join(dist, file))
    ? gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
    : statSync(join(dist, `${file}.gz`)).size;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);
if (!entry) throw new Error("dist/.vite/manifest.json has no entry");
const signedOut = [...new Set(files(entry))];
const signedIn = [...new Set([...signedOut, ...files(SIGNED_IN_PAGE)])];

let failed = false;
for (const [name, list] of [["signed out", signedOut], ["signed in", signedIn]]) {
  const js = list.filter((f) => f.endsWith(".js")).reduce((sum, f) => sum + gzipped(f), 0);
  const css = list.filter((f) => f.endsWith(".css")).reduce((sum, f) => sum + gzipped(f), 0);
  const total = js + css;
  const verdict = total <= LIMIT ? "ok" : `OVER the ${kib(LIMIT)} limit`;
  process.stdout.write(`start page (${name}): JS ${kib(js)} + CSS ${kib(css)} = ${kib(total)} gzipped, ${verdict}\n`);
  if (total > LIMIT) failed = true;
}
if (failed) {
  process.stderr.write("The start page must stay within 60 KiB of JS + CSS gzipped (issue #21): load the new code when its page is first opened (pages/routes.ts).\n");
  process.exit(1);
}
