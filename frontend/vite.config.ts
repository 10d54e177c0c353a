import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Served from "/" by the Go server (serve mode) and by Wails' AssetServer
  // (wails://wails/); client-side routes fall back to index.html there.
  base: "/",
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
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
});
