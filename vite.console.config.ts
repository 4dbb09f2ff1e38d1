import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The operator console: src/console built into dist/console, served by the game server at /console/. */
export default defineConfig({
  root: fileURLToPath(new URL('./src/console/', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/console/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The page ships no source maps: it is small, and the source is in the repository.
    sourcemap: false,
  },
});
