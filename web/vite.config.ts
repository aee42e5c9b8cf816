/**
 * Build of the web explorer: two pages (the app and the GraphiQL IDE) into web/dist, served by
 * `qdc serve` (src/http/webRoutes.ts). Each view is its own chunk, loaded when first opened.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
    // Read by the server (src/http/webRoutes.ts) to preload a view's chunks; never served.
    manifest: true,
    rollupOptions: {
      // GraphiQL's React-compiler directives are harmless once bundled; keep the build quiet.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      input: { app: resolve(here, 'index.html'), graphiql: resolve(here, 'graphiql.html') },
    },
  },
  server: { proxy: { '/graphql': 'http://127.0.0.1:4000' } },
});
