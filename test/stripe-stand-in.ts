import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The API key the stand-in accepts, as a Stripe test-mode secret key looks. */
export const STAND_IN_SECRET_KEY = 'sk_test_nitilens_stand_in';

type Received = { method: string; path: string; params: Record<string, unknown>; idempotencyKey: string | null };
type Answer = { status: number; body: unknown };

/**
 * A local HTTP server that speaks the part of Stripe's API the product uses: Checkout session
 * creation and retrieval, and subscription cancellation. Form-encoded bodies with bracketed keys,
 * Bearer authentication, idempotency keys and Stripe's error shape, as api.stripe.com has them.
 * `GET /_stand-in/requests` lists what it received, for tests to read.
 */
export async function startStripeStandIn(): Promise<{ url: string; close: () => Promise<void> }> {
  const received: Received[] = [];
  const sessions = new Map<string, Record<string, unknown>>();
  const replays = new Map<string, Answer>();
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) =>
      send(response, { status: 500, body: stripeError('api_error', String(error)) }),
    );
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (request.method === 'GET' && url.pathname === '/_stand-in/requests') {
      return send(response, { status: 200, body: received });
    }
    if (request.headers.authorization !== `Bearer ${STAND_IN_SECRET_KEY}`) {
      return send(response, {
        status: 401,
        body: stripeError('invalid_request_error', 'Invalid API Key provided.'),
      });
    }
    const params = parseForm(await readBody(request));
    const idempotencyKey = (request.headers['idempotency-key'] as string | undefined) ?? null;
    received.push({ method: request.method ?? 'GET', path: url.pathname, params, idempotencyKey });
    const replayKey = idempotencyKey && `${request.method} ${url.pathname} ${idempotencyKey}`;
    const replay = replayKey ? replays.get(replayKey) : undefined;
    if (replay) return send(response, replay);
    const answer = route(request.method ?? 'GET', url.pathname, params);
    if (replayKey && answer.status < 500) replays.set(replayKey, answer);
    send(response, answer);
  }

  function route(method: string, path: string, params: Record<string, unknown>): Answer {
    if (method === 'POST' && path === '/v1/checkout/sessions') return createSession(params);
    const session = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === 'GET' && session) {
      const found = sessions.get(session[1]!);
      return found
        ? { status: 200, body: found }
        : { status: 404, body: stripeError('invalid_request_error', `No such checkout.session: '${session[1]}'`) };
    }
    const subscription = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && subscription) {
      return { status: 200, body: { id: subscription[1], object: 'subscription', status: 'canceled' } };
    }
    return {
      status: 404,
      body: stripeError('invalid_request_error', `Unrecognized request URL (${method}: ${path}).`),
    };
  }

  function createSession(params: Record<string, unknown>): Answer {
    for (const required of ['mode', 'success_url', 'line_items']) {
      if (params[required] === undefined) {
        return { status: 400, body: stripeError('invalid_request_error', `Missing required param: ${required}.`) };
      }
    }
    const id = `cs_test_${randomBytes(12).toString('hex')}`;
    const session = {
      id,
      object: 'checkout.session',
      url: `https://checkout.stripe.com/c/pay/${id}`,
      mode: params.mode,
      status: 'open',
      payment_status: 'unpaid',
      client_reference_id: params.client_reference_id ?? null,
      customer: params.customer ?? null,
      customer_email: params.customer_email ?? null,
      metadata: params.metadata ?? {},
      subscription: null,
      success_url: params.success_url,
      cancel_url: params.cancel_url ?? null,
    };
    sessions.set(id, session);
    return { status: 200, body: session };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function stripeError(type: string, message: string) {
  return { error: { type, message } };
}

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'request-id': `req_${randomBytes(6).toString('hex')}`,
  });
  response.end(JSON.stringify(answer.body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Stripe's form encoding: `metadata[org_id]=...`, `line_items[0][price_data][currency]=usd`. */
function parseForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/\[|\]\[|\]/).filter(Boolean);
    let node: Record<string, unknown> = root;
    path.forEach((part, index) => {
      if (index === path.length - 1) {
        node[part] = value;
        return;
      }
      // A numeric next part makes a list: `line_items[0]`.
      node[part] ??= /^\d+$/.test(path[index + 1]!) ? [] : {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return root;
}
