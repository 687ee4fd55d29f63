import type { Context } from 'hono';
import type { AppEnv } from './context';
import { ApiError } from './errors';

/**
 * The interactive API reference at /api/docs: Swagger UI rendering /api/openapi.json. Its files
 * are built into the dashboard's static assets (vite.config.ts copies them from swagger-ui-dist)
 * and served under /api/docs/assets/ through the ASSETS binding, so the page needs no CDN and
 * works on the API's own hostname, where only /api/* reaches the Worker.
 */
export const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/** Where vite.config.ts puts the renderer's files in the built assets. */
export const DOCS_ASSETS_DIR = '/api-docs';

// Swagger UI styles its elements inline and draws its icons from data: URLs; nothing leaves the origin.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export function docsPage(c: Context<AppEnv>, info: { title: string; version: string }) {
  c.header('content-security-policy', CSP);
  return c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(info.title)} API reference</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="data:,">
</head><body>
<noscript><p>The reference needs JavaScript. The OpenAPI 3.1 document is at <a href="/api/openapi.json">/api/openapi.json</a>.</p></noscript>
<main id="reference"></main>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>`);
}

/**
 * Starts Swagger UI on the document. "Try it out" sends real requests from this origin: the
 * Authorize button takes an access token (POST /api/auth/login). No validator badge: it would
 * send the document to a third party.
 */
export function docsInitScript(c: Context<AppEnv>) {
  c.header('content-type', 'text/javascript; charset=utf-8');
  c.header('cache-control', 'no-cache');
  return c.body(`window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  // Tags collapsed: expanding every tag of ~130 operations at once stopped Swagger UI 5.35 after the
  // first few operations (no error shown); a tag opened on its own renders whole.
  docExpansion: 'none',
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
  filter: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`);
}

/** One of the renderer's files, from the built assets; anything else under /api/docs/assets is a 404. */
export async function docsAsset(c: Context<AppEnv>) {
  const file = c.req.param('file') ?? '';
  const contentType = DOCS_ASSETS[file];
  if (!contentType || !c.env.ASSETS) throw new ApiError('not_found', `No route matches ${c.req.method} ${c.req.path}.`);
  const asset = await c.env.ASSETS.fetch(new URL(`${DOCS_ASSETS_DIR}/${file}`, c.req.url));
  if (!asset.ok) throw new ApiError('not_found', `The API reference's ${file} is not built: run \`vite build\`.`);
  return new Response(asset.body, {
    headers: { 'content-type': contentType, 'cache-control': 'public, max-age=3600' },
  });
}
