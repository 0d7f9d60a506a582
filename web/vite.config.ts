// The front end builds into the CMake build tree (build/<preset>/web), where `fluxion serve`
// finds it; FLUXION_WEB_OUT overrides the place.
import { defineConfig } from "vite";
import { resolve } from "node:path";

export default defineConfig({
  base: "/",
  build: {
    outDir: process.env.FLUXION_WEB_OUT ?? resolve(__dirname, "../build/release/web"),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 700,  // escher (620 kB) is its own chunk, loaded only to draw a map
  },
});
