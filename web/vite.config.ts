import { defineConfig } from 'vite';

// The dashboard: Preact (JSX through Vite's own transform, no Babel) and uPlot, built into
// web/dist and served by the API server itself (src/http/web.ts). `vite` in this folder
// serves it for development and proxies the API to a running `npm start` on :8080.
export default defineConfig({
  root: import.meta.dirname,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // The number the issue asks for (under 150 KB gzipped) is in the build's own report.
    reportCompressedSize: true,
  },
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/openapi.json', '/docs'].map((p) => [p, { target: 'http://127.0.0.1:8080' }]),
    ),
  },
});
