// Empties dist/ before a build but keeps dist/.gitkeep, which the Go code's
// //go:embed needs on a clean checkout (Vite runs with emptyOutDir: false).
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";

const dist = fileURLToPath(new URL("../dist", import.meta.url));
mkdirSync(dist, { recursive: true });
for (const entry of readdirSync(dist)) {
  if (entry !== ".gitkeep") rmSync(join(dist, entry), { recursive: true, force: true });
}
if (!existsSync(join(dist, ".gitkeep"))) writeFileSync(join(dist, ".gitkeep"), "");
