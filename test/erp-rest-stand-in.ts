import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The API key the stand-in asks for, in an `X-Api-Key` header (a connector's custom header). */
export const ERP_API_KEY = 'erp-test-key-5d1f';

type Payment = Record<string, unknown> & { id: number };
type Dataset = { payments: Payment[]; pageSize: number; failAfter: number | null };

/**
 * A local ERP REST API as many have it: `GET /erp/<dataset>/payments?after=<id>` answers
 * `{"data": [...], "meta": {"next_cursor": "<last id>" | null}}`, a page at a time in id order,
 * next_cursor null on the last page; 401 without the API key. Tests drive it through
 * `PUT /_stand-in/<dataset>` (`{payments, page_size}`), `POST /_stand-in/<dataset>/payments`
 * (append) and `PUT /_stand-in/<dataset>/outage` (`{after}`: pages after that id answer 503).
 */
export async function startErpRestStandIn(): Promise<{ url: string; close: () => Promise<void> }> {
  const datasets = new Map<string, Dataset>();
  const dataset = (name: string) => {
    const found = datasets.get(name) ?? { payments: [], pageSize: 100, failAfter: null };
    datasets.set(name, found);
    return found;
  };
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => send(response, 500, { error: String(error) }));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const control = /^\/_stand-in\/([\w-]+)(\/payments|\/outage)?$/.exec(url.pathname);
    if (control) {
      const data = dataset(control[1]!);
      const body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
      if (control[2] === '/payments') data.payments.push(...(body.payments as Payment[]));
      else if (control[2] === '/outage') data.failAfter = (body.after as number | null) ?? null;
      else {
        data.payments = (body.payments as Payment[]) ?? [];
        data.pageSize = (body.page_size as number) ?? 100;
        data.failAfter = null;
      }
      return send(response, 200, { payments: data.payments.length });
    }
    const api = /^\/erp\/([\w-]+)\/payments$/.exec(url.pathname);
    if (!api || request.method !== 'GET') return send(response, 404, { error: 'not found' });
    if (request.headers['x-api-key'] !== ERP_API_KEY) return send(response, 401, { error: 'invalid API key' });
    const data = dataset(api[1]!);
    const after = Number(url.searchParams.get('after') ?? 0);
    if (data.failAfter !== null && after >= data.failAfter) return send(response, 503, { error: 'ERP busy' });
    const rows = data.payments
      .filter((payment) => payment.id > after)
      .sort((a, b) => a.id - b.id)
      .slice(0, data.pageSize);
    const more = rows.length === data.pageSize;
    return send(response, 200, {
      data: rows,
      meta: { next_cursor: more ? String(rows[rows.length - 1]!.id) : null },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
