/**
 * The explorer's build: bundled at build time (scripts/build.js runs it after tsc) into
 * dist/explorer, which the server serves at `/`. Everything is in the bundle, so the page works
 * with no internet; asset names carry a content hash, so the server lets browsers keep them.
 */
import path from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: path.join(__dirname, '..', 'dist', 'explorer'),
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
  },
});
