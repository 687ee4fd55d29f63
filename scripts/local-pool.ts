/**
 * A transaction-mode Postgres connection pool on a local port: what Hyperdrive does for the
 * deployed Worker, which `wrangler dev` does not emulate (there every Worker connection opens a
 * new Postgres backend: a process fork and cold catalog caches, ~10 ms a request on this machine).
 * The benchmarks put it between the Worker and Postgres so that they measure NitiLens, not
 * connection setup.
 *
 * Each client connection is answered by the pool itself (trust authentication, the upstream's
 * parameters); a server connection is lent to a client from its first message until Postgres is
 * ready for a query outside any transaction with no reply pending, then goes back to the pool.
 * Session state does not survive across transactions, as with Hyperdrive.
 */
import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';

export type LocalPool = { url: string; stop: () => Promise<void> };

type Upstream = { host: string; port: number; user: string; password: string; database: string };

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

/** Splits a byte stream into protocol messages (a type byte, then a length that counts itself). */
class MessageReader {
  private buffer = Buffer.alloc(0);

  constructor(private readonly typed: boolean) {}

  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: Buffer[] = [];
    const header = this.typed ? 1 : 0;
    while (this.buffer.length >= header + 4) {
      const size = header + this.buffer.readInt32BE(header);
      if (this.buffer.length < size) break;
      messages.push(this.buffer.subarray(0, size));
      this.buffer = this.buffer.subarray(size);
    }
    return messages;
  }

  /** After the untyped startup message, every message carries a type byte. */
  typedFromNowOn(): MessageReader {
    const reader = new MessageReader(true);
    reader.buffer = this.buffer;
    return reader;
  }
}

const message = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (...values: number[]) => {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((value, index) => out.writeInt32BE(value, index * 4));
  return out;
};
const cstrings = (...values: string[]) => Buffer.concat(values.map((value) => Buffer.from(`${value}\0`, 'utf8')));

/** A live server connection, authenticated and ready for queries. */
class ServerConnection {
  private reader = new MessageReader(true);
  /** Replies go to the client the connection is lent to. */
  onMessage: (message: Buffer) => void = () => undefined;
  onClose: () => void = () => undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => { for (const received of this.reader.push(chunk)) this.onMessage(received); });
    socket.on('close', () => this.onClose());
    socket.on('error', () => socket.destroy());
  }

  static open(upstream: Upstream): Promise<{ server: ServerConnection; parameters: Buffer[] }> {
    return new Promise((resolve, reject) => {
      const socket = connect(upstream.port, upstream.host);
      // Small protocol messages must not wait for Nagle's algorithm (40 ms with delayed ACKs).
      socket.setNoDelay(true);
      const server = new ServerConnection(socket);
      const parameters: Buffer[] = [];
      server.onClose = () => reject(new Error('local pool: the upstream closed the connection during startup'));
      server.onMessage = (received) => {
        const type = String.fromCharCode(received[0]!);
        if (type === 'R') server.authenticate(received, upstream, reject);
        else if (type === 'S') parameters.push(received);
        else if (type === 'E') reject(new Error(`local pool: upstream refused the connection: ${received.toString('utf8', 5)}`));
        else if (type === 'Z') {
          server.onClose = () => undefined;
          resolve({ server, parameters });
        }
      };
      socket.on('connect', () => {
        const body = Buffer.concat([int32(196608), cstrings('user', upstream.user, 'database', upstream.database, 'client_encoding', 'UTF8'), Buffer.from([0])]);
        socket.write(Buffer.concat([int32(body.length + 4), body]));
      });
      socket.on('error', reject);
    });
  }

  /** Trust, cleartext and md5 passwords: what a local development server uses. */
  private authenticate(received: Buffer, upstream: Upstream, reject: (error: Error) => void): void {
    const code = received.readInt32BE(5);
    if (code === 0) return;
    if (code === 3) this.socket.write(message('p', cstrings(upstream.password)));
    else if (code === 5) {
      const inner = createHash('md5').update(upstream.password + upstream.user).digest('hex');
      const outer = createHash('md5').update(Buffer.concat([Buffer.from(inner), received.subarray(9, 13)])).digest('hex');
      this.socket.write(message('p', cstrings(`md5${outer}`)));
    } else reject(new Error(`local pool: authentication method ${code} is not supported (use trust, password or md5 locally)`));
  }
}

/** Lends server connections to clients, one transaction (or one batch of pipelined statements) at a time. */
class Pool {
  private idle: ServerConnection[] = [];
  private waiting: ((server: ServerConnection) => void)[] = [];
  private opened = 0;
  parameters: Buffer[] = [];

  constructor(private readonly upstream: Upstream, private readonly size: number) {}

  async warmUp(): Promise<void> {
    this.give((await this.open()));
  }

  acquire(): Promise<ServerConnection> {
    const server = this.idle.pop();
    if (server) return Promise.resolve(server);
    if (this.opened < this.size) return this.open();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(server: ServerConnection): void {
    server.onMessage = () => undefined;
    const next = this.waiting.shift();
    if (next) next(server);
    else this.idle.push(server);
  }

  /** A connection left mid-transaction by its client cannot be reused. */
  discard(server: ServerConnection): void {
    server.socket.destroy();
  }

  close(): void {
    for (const server of this.idle) server.socket.destroy();
  }

  private async open(): Promise<ServerConnection> {
    this.opened++;
    try {
      const { server, parameters } = await ServerConnection.open(this.upstream);
      if (this.parameters.length === 0) this.parameters = parameters;
      server.onClose = () => { this.opened--; this.idle = this.idle.filter((s) => s !== server); };
      return server;
    } catch (error) {
      this.opened--;
      throw error;
    }
  }
}

function serveClient(client: Socket, pool: Pool): void {
  client.setNoDelay(true);
  let reader = new MessageReader(false);
  let started = false;
  let server: ServerConnection | undefined;
  let acquiring: Promise<ServerConnection> | undefined;
  // Statements sent whose ReadyForQuery has not come back yet (pipelining sends several), and
  // whether a statement's first messages went out without its Sync yet.
  let pending = 0;
  let partial = false;
  let queue = Promise.resolve();

  const release = (reusable: boolean) => {
    if (!server) return;
    const lent = server;
    server = undefined;
    acquiring = undefined;
    if (reusable) pool.give(lent);
    else pool.discard(lent);
  };
  const lend = async (): Promise<ServerConnection> => {
    if (server) return server;
    acquiring ??= pool.acquire().then((acquired) => {
      server = acquired;
      acquired.onMessage = (reply) => {
        if (!client.destroyed) client.write(reply);
        const idle = reply[0] === 'Z'.charCodeAt(0) && --pending === 0 && !partial && reply[5] === 'I'.charCodeAt(0);
        if (idle) release(true);
      };
      acquired.onClose = () => client.destroy();
      return acquired;
    });
    return acquiring;
  };

  const startup = (received: Buffer) => {
    const code = received.readInt32BE(4);
    if (code === SSL_REQUEST) return void client.write('N');
    if (code === CANCEL_REQUEST) return void client.end();
    started = true;
    reader = reader.typedFromNowOn();
    client.write(Buffer.concat([message('R', int32(0)), ...pool.parameters, message('K', int32(process.pid, 0)), message('Z', Buffer.from('I'))]));
  };

  const forward = async (received: Buffer) => {
    const type = String.fromCharCode(received[0]!);
    if (type === 'X') return void client.end();
    partial = type !== 'S' && type !== 'Q';
    if (!partial) pending++;
    (await lend()).socket.write(received);
  };

  client.on('data', (chunk) => {
    // Messages are forwarded in order, even while a server connection is being acquired.
    queue = queue.then(async () => {
      if (!started) {
        // Before startup a client sends one message and waits for the answer.
        const [first, ...more] = reader.push(chunk);
        if (more.length > 0) throw new Error('local pool: a message before the startup was answered');
        if (first) startup(first);
        return;
      }
      for (const received of reader.push(chunk)) await forward(received);
    }).catch(() => { client.destroy(); });
  });
  // A client gone with a connection still lent left it mid-transaction or mid-statement.
  client.on('close', () => release(false));
  client.on('error', () => client.destroy());
}

/** Starts the pool for `upstreamUrl` on a free local port; its URL carries a password, as a Hyperdrive local connection string must. */
export async function startLocalPool(upstreamUrl: string, size = 20): Promise<LocalPool> {
  const parsed = new URL(upstreamUrl);
  const upstream: Upstream = {
    host: parsed.hostname, port: Number(parsed.port || 5432), user: decodeURIComponent(parsed.username || 'postgres'),
    password: decodeURIComponent(parsed.password), database: decodeURIComponent(parsed.pathname.slice(1) || 'postgres'),
  };
  const pool = new Pool(upstream, size);
  await pool.warmUp();
  const server: Server = createServer((client) => serveClient(client, pool));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = `postgres://${encodeURIComponent(upstream.user)}:pool@127.0.0.1:${port}/${encodeURIComponent(upstream.database)}`;
  return {
    url,
    stop: () => new Promise((resolve) => {
      pool.close();
      server.close(() => resolve());
    }),
  };
}
