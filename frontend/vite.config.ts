import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vitest/config";
import { shell } from "./src/shell/layout";

// The page shell (skip link, header, an empty <main>, footer) written into index.html from
// shell/layout.ts, its one source: the first paint has the header and footer, styled by the
// CSS linked in <head>, before any script runs (issue #21: no blank or unstyled flash), and
// main.ts takes the shell it finds instead of drawing it again.
function pageShell(): Plugin {
  return {
    name: "nhs-passkeys-page-shell",
    transformIndexHtml(page) {
      const empty = '<div id="app"></div>';
      if (!page.includes(empty)) throw new Error(`index.html must hold ${empty}`);
      return page.replace(empty, `<div id="app">${shell().value}</div>`);
    },
  };
}

export default defineConfig({
  // Served from "/" by the Go server (serve mode) and by Wails' AssetServer
  // (wails://wails/); client-side routes fall back to index.html there.
  base: "/",
  plugins: [pageShell()],
  resolve: {
    alias: {
      "@nhsuk-images": fileURLToPath(new URL("./node_modules/nhsuk-frontend/dist/nhsuk/assets/images", import.meta.url)),
    },
  },
  css: {
    preprocessorOptions: {
      // nhsuk-frontend's own Sass deprecation warnings are not ours to fix.
      scss: { quietDeps: true },
    },
  },
  build: {
    outDir: "dist",
    // dist/.gitkeep must survive; scripts/clean-dist.mjs empties the rest first.
    emptyOutDir: false,
    target: "es2022",
    // Everything as files: the server's CSP (default-src 'self') allows no
    // inline scripts, styles or data: URLs.
    assetsInlineLimit: 0,
    // dist/.vite/manifest.json names each entry's and area's chunks and CSS:
    // scripts/check-start-size.mjs sums the start page's from it.
    manifest: true,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
});
