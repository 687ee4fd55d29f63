import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { Semaphore } from './semaphore';

/**
 * A TCP socket for postgres.js inside workerd. postgres.js's own polyfill closes the socket while
 * a read is pending and then emits 'error' with no listener left, which surfaces as unhandled
 * "This socket has been closed" rejections on every `end()`. This one treats a close we asked
 * for as a clean end of stream.
 */
class WorkerdSocket extends EventEmitter {
  readyState: 'open' | 'closed' = 'open';
  private closing = false;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(
    private readonly raw: Socket,
    private readonly release: () => void,
  ) {
    super();
    this.writer = raw.writable.getWriter();
    this.reader = raw.readable.getReader();
    // Settled elsewhere; observing them keeps their rejections from being reported as unhandled.
    raw.closed.catch(() => {});
    this.writer.closed.catch(() => {});
    this.reader.closed.catch(() => {});
    void this.pump();
  }

  write(data: Uint8Array, callback?: () => void): boolean {
    this.writer.write(data).then(
      () => callback?.(),
      (error: unknown) => this.fail(error),
    );
    return true;
  }

  end(data?: Uint8Array): void {
    this.closing = true;
    const flushed = data ? this.writer.write(data) : Promise.resolve();
    flushed.catch(() => {}).finally(() => this.raw.close().catch(() => {}));
  }

  destroy(): void {
    this.closing = true;
    this.raw.close().catch(() => {});
  }

  /** Only COPY streams pause the socket; the project does not use them. */
  pause(): void {}
  resume(): void {}

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) break;
        // A view, not a copy: each read hands over a fresh chunk, and copying it byte by byte
        // (Buffer.from of a Uint8Array) was a visible share of a push's CPU in the profile.
        this.emit('data', Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } catch (error) {
      if (!this.closing) this.fail(error);
    } finally {
      this.finish();
    }
  }

  private fail(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', withCode(error, 'ECONNRESET'));
  }

  private finish(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.release();
    this.emit('close');
  }
}

/**
 * The most Postgres connections one isolate holds at once. Every request has its own client, so
 * 200 concurrent logins opened 200 connections and Postgres refused the rest ("too many clients
 * already", answered 500). Hyperdrive pools in production; this bound keeps a local Postgres (and
 * Hyperdrive's own limit) from being flooded by one isolate.
 */
export const CONNECTION_SLOTS = 20;
/**
 * How long a new connection waits for a slot before the request is answered 503 with Retry-After
 * (pushes and uploads wait less: worker/platform/admission.ts).
 */
export const CONNECTION_WAIT_MS = 5_000;

const connectionGate = new Semaphore(CONNECTION_SLOTS);

/** The most connections this isolate held at once since the last call. */
export function takeConnectionPeak(): number {
  return connectionGate.takePeak();
}

/** postgres.js `socket` option: opens the connection to Hyperdrive (or a local Postgres in dev), within the isolate's bound. */
export async function openWorkerdSocket(
  options: { host: string[]; port: number[] },
  waitMs = CONNECTION_WAIT_MS,
): Promise<WorkerdSocket> {
  const release = await connectionGate.acquire(waitMs);
  try {
    // Imported when a connection opens: Node scripts (create-super-admin) load this module through
    // db/tenant.ts and never open a workerd socket, and Node cannot resolve `cloudflare:` modules.
    const { connect } = await import('cloudflare:sockets');
    const raw = connect({ hostname: options.host[0]!, port: options.port[0]! });
    try {
      await raw.opened;
    } catch (error) {
      throw withCode(error, 'ECONNREFUSED');
    }
    return new WorkerdSocket(raw, release);
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * workerd's socket errors carry no code ("connection attempt failed", "Network connection lost"):
 * given Node's, the error path knows the database is out of reach (503 with Retry-After), not broken.
 */
function withCode(error: unknown, code: string): Error {
  const tagged = error instanceof Error ? error : new Error(String(error));
  if (typeof (tagged as Error & { code?: unknown }).code !== 'string') Object.assign(tagged, { code });
  return tagged;
}
