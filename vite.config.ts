import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The API reference's renderer (Swagger UI) as static assets in web/dist/api-docs/, so /api/docs
 * works offline: the Worker serves them from the ASSETS binding (worker/platform/docs-page.ts).
 */
function apiReferenceAssets(): Plugin {
  const require = createRequire(import.meta.url);
  return {
    name: 'nitilens-api-reference-assets',
    apply: 'build',
    generateBundle() {
      for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
        // The bundle's last line points at a source map that is not shipped: dropped, so browsers do not ask for it.
        const text = readFileSync(require.resolve(`swagger-ui-dist/${file}`), 'utf8').replace(
          /\n\/[*/]# sourceMappingURL=\S+\s*$/,
          '\n',
        );
        this.emitFile({ type: 'asset', fileName: `api-docs/${file}`, source: text });
      }
    },
  };
}

// The dashboard: built from web/ into web/dist, which the Worker serves as static assets
// (wrangler.toml [assets]) on the same origin as the API.
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  plugins: [react(), tailwindcss(), apiReferenceAssets()],
  resolve: { alias: { '@web': fileURLToPath(new URL('./web/src', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
    // The charts (recharts and its d3 modules) in a chunk of their own keep the main one under the limit above.
    rolldownOptions: {
      output: {
        codeSplitting: { groups: [{ name: 'charts', test: /node_modules[\\/](recharts|d3-|victory-vendor)/ }] },
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/api': { target: 'http://127.0.0.1:8787', ws: true }, '/health': 'http://127.0.0.1:8787' },
  },
});
