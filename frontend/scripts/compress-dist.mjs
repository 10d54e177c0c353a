// Stores the built page's scripts, styles and SVG images gzipped, as X.gz in place of X
// (issue #21 item 4, the binary's size): main.go embeds dist/, and these files are about
// 350 KB smaller this way. The Go server (backend/frontend.go, serveFrontend) answers a
// request for X from X.gz, decompressed as it is sent, so every client gets X as Vite built
// it. index.html stays as it is (make's target for the build), and so do the fonts and
// images that are compressed already, and dist/.vite/manifest.json, which
// check-start-size.mjs reads.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { gzipSync } from "node:zlib";

const assets = fileURLToPath(new URL("../dist/assets", import.meta.url));
for (const name of readdirSync(assets)) {
  if (!/\.(js|css|svg)$/.test(name)) continue;
  const file = join(assets, name);
  writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
  rmSync(file);
}
