import { z } from '@hono/zod-openapi';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { pushBody } from '../transactions/schemas';
import { receivePush } from './push';
import { pushView } from './schemas';
import { parseSignatureHeader, SIGNATURE_HEADER } from './signature';

export const ingestRoutes = createRouter();

const push = defineRoute(
  { public: true, reason: 'ERP webhook: authenticated by the HMAC signature of the source secret' },
  {
    method: 'post',
    path: '/{source_id}',
    tags: ['ingest'],
    summary: 'Push one transaction or an array of at most 1,000, signed; each is evaluated at once',
    description: `Header \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>\`, within 300 s of the server clock.`,
    // The header and the body are read by the handler itself (a missing signature is a 401, a bad
    // row a rejected result), so they are documented here, not validated.
    parameters: [
      {
        in: 'header',
        name: SIGNATURE_HEADER,
        required: true,
        schema: { type: 'string' },
        example: 't=1764515000,v1=5f2b0c1e9d...',
      },
    ],
    request: { params: z.object({ source_id: z.uuid() }), body: pushBody },
    responses: {
      200: jsonResponse(pushView, 'What happened to each transaction, with the violations it raised'),
      ...problemResponses,
      402: problemOf('Plan limit reached: no new transaction could be stored'),
      413: problemOf('More than 1,000 transactions'),
    },
  },
);
ingestRoutes.openapi(push, async (c) => {
  const header = parseSignatureHeader(c.req.header(SIGNATURE_HEADER), Math.floor(Date.now() / 1000));
  const rawBody = new Uint8Array(await c.req.arrayBuffer());
  const sourceId = c.req.valid('param').source_id;
  return c.json({ results: await receivePush(c.env, c.var.database(), { sourceId, header, rawBody }) }, 200);
});
