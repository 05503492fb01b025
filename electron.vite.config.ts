import { resolve } from 'node:path';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { rendererCspMeta } from './src/shared/csp.ts';

/** Puts the renderer's CSP into the built index.html (not in dev: vite's HMR needs inline script). */
function cspMetaTag(): Plugin {
  return {
    name: 'sae-explorer:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: rendererCspMeta }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  // Entries default to src/main/index.ts and src/preload/index.ts; dependencies stay external.
  main: {
    build: {
      sourcemap: true,
      // The index and evaluation jobs' worker threads are entries of their own: out/main/index-worker.js
      // (src/core/index/worker-client.ts), out/main/finalize-worker.js (src/core/index/finalize-helper.ts)
      // out/main/health-worker.js (src/core/health/worker-client.ts) and out/main/capture-worker.js
      // (src/core/model/capture-thread.ts).
      rolldownOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          'index-worker': resolve(import.meta.dirname, 'src/core/index/worker.ts'),
          'finalize-worker': resolve(import.meta.dirname, 'src/core/index/finalize-worker.ts'),
          'health-worker': resolve(import.meta.dirname, 'src/core/health/worker.ts'),
          'capture-worker': resolve(import.meta.dirname, 'src/core/model/capture-worker.ts'),
        },
      },
    },
  },
  preload: {
    // Sandboxed preload scripts cannot be ES modules: build CommonJS (out/preload/index.cjs).
    build: { sourcemap: true, rolldownOptions: { output: { format: 'cjs' } } },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    // Relative asset URLs work from sae://app/ and from the serve host alike.
    base: './',
    plugins: [react(), tailwindcss(), cspMetaTag()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      emptyOutDir: true,
      minify: true,
      rolldownOptions: { input: resolve(import.meta.dirname, 'src/renderer/index.html') },
    },
  },
});
