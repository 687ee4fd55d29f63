import { z } from '@hono/zod-openapi';
import { orgHub } from '../../durable-objects/org-hub';
import { ApiError } from '../platform/errors';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonResponse, problemResponses } from '../platform/responses';

export const liveRoutes = createRouter();

export const ticketView = z.object({ ticket: z.string(), expires_in: z.number().int() }).openapi('SocketTicket');

const issueTicket = defineRoute(
  { permission: 'data:read' },
  {
    method: 'post',
    path: '/ticket',
    tags: ['live'],
    summary: 'A single-use, 60-second ticket for the live socket',
    responses: { 200: jsonResponse(ticketView, 'The ticket'), ...problemResponses },
  },
);
liveRoutes.openapi(issueTicket, async (c) => {
  const { orgId, userId } = c.var.caller;
  const hub = orgHub(c.env, orgId);
  const { ticket, expiresIn } = await hub.issueTicket(userId);
  // The organization travels in the ticket so the socket request reaches the right hub.
  return c.json({ ticket: `${orgId}.${ticket}`, expires_in: expiresIn }, 200);
});

const ORG_TICKET = /^([0-9a-f-]{36})\.[0-9a-f]{64}$/;

const connect = defineRoute(
  { public: true, reason: 'authenticated by the single-use ticket' },
  {
    method: 'get',
    path: '/',
    tags: ['live'],
    summary: "The organization's live event socket (WebSocket upgrade)",
    request: { query: z.object({ ticket: z.string().max(200) }) },
    responses: { 101: { description: 'Switching protocols' }, ...problemResponses },
  },
);
liveRoutes.openapi(connect, async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new ApiError('bad_request', 'This endpoint expects a WebSocket upgrade.');
  }
  const orgId = ORG_TICKET.exec(c.req.valid('query').ticket)?.[1];
  if (!orgId) throw new ApiError('unauthorized', 'The socket ticket is invalid, used or expired.');
  const hub = orgHub(c.env, orgId);
  const response = await hub.fetch(c.req.raw);
  if (response.status === 401) throw new ApiError('unauthorized', 'The socket ticket is invalid, used or expired.');
  return response as never;
});
