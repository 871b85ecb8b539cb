import { defineConfig } from "vite";

// Two pages: the customer app (index.html) and the staff console (console.html). `vite` and
// `vite preview` forward the API to a running `talat serve` (TALAT_API, default 127.0.0.1:8080).
const api = process.env.TALAT_API ?? "127.0.0.1:8080";
const proxy = {
  "/api": `http://${api}`,
  "/web/api": `http://${api}`,
  "/tradingview": `http://${api}`,
  "/websocket-api": { target: `ws://${api}`, ws: true },
};

export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1000,
    rollupOptions: { input: { index: "index.html", console: "console.html" } },
  },
  server: { proxy },
  preview: { proxy },
});
