import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STARTED_MODULES } from "./behaviour";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("nhsuk-frontend's JavaScript", () => {
  it("is started for every data-module the app's markup uses", () => {
    const used = new Set(
      sources(join(__dirname, "..")).flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/data-module="([a-z-]+)"/g)].map((match) => match[1]),
      ),
    );
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(STARTED_MODULES, `data-module="${String(name)}"`).toContain(name);
  });
});
