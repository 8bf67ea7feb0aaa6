// Vite build of Parley's softphone. The output folder comes from PARLEY_WEB_OUT_DIR (CMake points
// it at <build dir>/web); `npm run build` alone writes dist/.
import { defineConfig } from 'vitest/config';

const outDir = process.env.PARLEY_WEB_OUT_DIR || 'dist';

export default defineConfig({
  base: '/',
  esbuild: {
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // No license banners with dates or build paths in the bundle; licences are listed in the SBOM.
    legalComments: 'none',
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    // The polyfill would be one more script to integrity-check; every browser we support has
    // native modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.mjs'],
    environment: 'node',
  },
});
