// axe-core over the whole document, with the rules of shell/accessibility.test.ts (WCAG 2.2 A and
// AA, and best practice; colour contrast needs real rendering, which jsdom does not do).

import axe from "axe-core";

let canvasStubbed = false;

export async function axeViolations(): Promise<string[]> {
  if (!canvasStubbed) {
    // jsdom has no canvas; axe only uses one to spot icon fonts, which we do not use.
    HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
    canvasStubbed = true;
  }
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    rules: { "color-contrast": { enabled: false } },
  });
  return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
