/**
 * The Worker's outbound requests in tests (Miniflare's outboundService, run in Node.js).
 * DNS over HTTPS, which `node:dns` uses inside workerd, is answered here: `a-b-c-d.ip.nitilens.test`
 * resolves to a.b.c.d (an A record, no AAAA), other names do not exist. Every other request goes
 * out as sent, redirects not followed (the Worker asked for `redirect: 'manual'`).
 */
const IP_NAME = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.ip\.nitilens\.test\.?$/i;

export async function testOutbound(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname === 'cloudflare-dns.com' && url.pathname === '/dns-query') return dnsAnswer(url);
  const headers = new Headers(request.headers);
  for (const name of ['host', 'cf-worker', 'content-length']) headers.delete(name);
  const response = await fetch(url, {
    method: request.method,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer(),
    redirect: 'manual',
  });
  const answerHeaders = new Headers(response.headers);
  for (const name of ['content-encoding', 'content-length', 'transfer-encoding']) answerHeaders.delete(name);
  return new Response(await response.arrayBuffer(), { status: response.status, headers: answerHeaders });
}

function dnsAnswer(url: URL): Response {
  const name = url.searchParams.get('name') ?? '';
  const type = url.searchParams.get('type') === 'AAAA' ? 28 : 1;
  const ip = IP_NAME.exec(name);
  const body = {
    Status: ip ? 0 : 3,
    TC: false,
    RD: true,
    RA: true,
    AD: false,
    CD: false,
    Question: [{ name, type }],
    ...(ip && type === 1 ? { Answer: [{ name, type, TTL: 60, data: ip.slice(1).join('.') }] } : {}),
  };
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/dns-json' } });
}
