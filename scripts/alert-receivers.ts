/**
 * Local stand-ins for what alerts are sent to, speaking the real protocols: an HTTP receiver for
 * Slack incoming webhooks and signed webhooks, and an SMTP server. Used by the test suite, the
 * browser journey and `npm run bench:alerts`.
 *
 * HTTP: `POST /hooks/<name>` is recorded and answered with the name's script (200 by default);
 * `PUT /control/hooks/<name>` `{statuses: [500, 500, 200], delay_ms?}` sets the script (the last
 * status repeats); `GET /control/hooks/<name>` lists what arrived; `GET /control/mail?to=<address>`
 * lists the mail received for an address, parsed.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type ReceivedRequest = { headers: Record<string, string>; body: string; received_at: number };
export type ReceivedMail = {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Files the message carries: name, type, bytes and their SHA-256. */
  attachments: { filename: string; content_type: string; size: number; sha256: string }[];
  received_at: number;
};
type Script = { statuses: number[]; delay_ms: number };

export type AlertReceivers = {
  /** `http://127.0.0.1:<port>`; hooks live under `/hooks/<name>`. */
  httpUrl: string;
  /** `smtp://<user>:<password>@127.0.0.1:<port>` */
  smtpUrl: string;
  /** Called for every hook request as it arrives (the benchmark timestamps deliveries with it). */
  onRequest: (listener: (name: string, request: ReceivedRequest) => void) => void;
  stop: () => Promise<void>;
};

const SMTP_USER = 'alerts';
const SMTP_PASSWORD = 'local-smtp-password';

export async function startAlertReceivers(): Promise<AlertReceivers> {
  const hooks = new Map<string, ReceivedRequest[]>();
  const scripts = new Map<string, Script>();
  const mail: ReceivedMail[] = [];
  const listeners: ((name: string, request: ReceivedRequest) => void)[] = [];

  const http = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://receiver');
    const body = await readBody(request);
    const send = (status: number, value?: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(value === undefined ? '' : JSON.stringify(value));
    };
    const hook = /^\/hooks\/([\w.-]+)$/.exec(url.pathname)?.[1];
    const control = /^\/control\/hooks\/([\w.-]+)$/.exec(url.pathname)?.[1];
    if (hook && request.method === 'POST') {
      const received: ReceivedRequest = {
        headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])),
        body,
        received_at: Date.now(),
      };
      const list = hooks.get(hook) ?? [];
      list.push(received);
      hooks.set(hook, list);
      for (const listener of listeners) listener(hook, received);
      const script = scripts.get(hook) ?? { statuses: [200], delay_ms: 0 };
      const status = script.statuses[Math.min(list.length - 1, script.statuses.length - 1)]!;
      if (script.delay_ms > 0) await new Promise((resolve) => setTimeout(resolve, script.delay_ms));
      if (status >= 300 && status < 400)
        return send(status, undefined, { location: `http://${request.headers.host}/elsewhere` });
      return send(status, { ok: status < 300 });
    }
    if (control && request.method === 'PUT') {
      const script = JSON.parse(body) as Partial<Script>;
      scripts.set(control, { statuses: script.statuses ?? [200], delay_ms: script.delay_ms ?? 0 });
      return send(204);
    }
    if (control && request.method === 'GET') return send(200, { requests: hooks.get(control) ?? [] });
    if (url.pathname === '/control/mail' && request.method === 'GET') {
      const to = url.searchParams.get('to');
      return send(200, { messages: mail.filter((message) => !to || message.to.includes(to)) });
    }
    send(404, { error: 'no such route' });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  // No STARTTLS: its built-in self-signed certificate fails workerd's TLS handshake. AUTH over the
  // plain connection, so that the credentials in SMTP_URL are really checked.
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      // A mailbox that does not exist, for the permanent-failure path.
      if (address.address.startsWith('nobody@')) {
        const error = new Error('Mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          mail.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            attachments: parsed.attachments.map((file) => ({
              filename: file.filename ?? '',
              content_type: file.contentType,
              size: file.content.length,
              sha256: createHash('sha256').update(file.content).digest('hex'),
            })),
            received_at: Date.now(),
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));

  return {
    httpUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    smtpUrl: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    onRequest: (listener) => listeners.push(listener),
    stop: async () => {
      await Promise.all([close(http), new Promise<void>((resolve) => smtp.close(() => resolve()))]);
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
