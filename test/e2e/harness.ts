import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import postgres from 'postgres';
import type { Method, ResponseOf } from '../api-routes';

export const SCREENSHOTS = 'test-results/screenshots';

type DevServer = { baseUrl: string; stop: () => Promise<void> };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} was not healthy after ${timeoutMs / 1000} s:\n${output()}`);
}

/**
 * `npm run dev` on a free port (E2E_PORT if set) with a fresh embedded database, in its own process
 * group so every child (vite, wrangler, workerd) stops with it; `databaseUrl` instead of the embedded
 * database, for a journey that must reach the database itself (making a super_admin); `env`, settings
 * handed to `npm run dev` and on to the Worker. E2E_BASE_URL reuses a running server.
 */
async function startDevServer(
  options: { databaseUrl?: string; env?: Record<string, string> } = {},
): Promise<DevServer> {
  if (process.env.E2E_BASE_URL) return { baseUrl: process.env.E2E_BASE_URL, stop: async () => {} };
  const port = Number(process.env.E2E_PORT) || (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), 'nitilens-e2e-'));
  let log = '';
  const child = spawn('npm', ['run', 'dev'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...options.env,
      PORT: String(port),
      NITILENS_DATA_DIR: dataDir,
      DATABASE_URL: options.databaseUrl ?? '',
    },
  });
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      signalGroup(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) signalGroup(child.pid, 'SIGKILL');
    }
    killLeftovers(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const baseUrl = `http://localhost:${port}`;
  try {
    await waitForHealth(`${baseUrl}/health`, child, () => log, 180_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop };
}

/** A signal to a process group that may have ended on its own already (ESRCH is not an error here). */
function signalGroup(leader: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-leader, signal);
  } catch {
    // the group is gone
  }
}

/**
 * What `npm run dev` started and left running: its children lead process groups of their own, so a
 * SIGKILL of its group misses them (a wrangler was once found serving half an hour after its
 * journey, and the dashboard's watcher with it). Each of them inherited NITILENS_DATA_DIR, the
 * server's own directory. Linux's /proc shows it; elsewhere there is nothing to look through.
 */
function killLeftovers(dataDir: string): void {
  const marker = `NITILENS_DATA_DIR=${dataDir}\0`;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already, or not ours to read
    }
  }
}

/** Debian's Chromium with a fresh profile (a persistent context is how playwright takes a user data dir). */
async function launchBrowser(baseURL: string): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'nitilens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    baseURL,
    viewport: { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Every console error and warning and every uncaught exception of a page, so the journey can fail on any of them. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      errors.push(`${page.url()}: ${message.text()} ${message.location().url}`.trim());
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  return errors;
}

/**
 * A fresh Postgres database of a journey's own: beside TEST_DATABASE_URL when set, as in CI
 * (`<that database>_e2e_<name>`), else on E2E_PG or the machine's Postgres (`nitilens_e2e_<name>_<time>`).
 */
async function createJourneyDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const beside = process.env.TEST_DATABASE_URL;
  const server = beside ?? process.env.E2E_PG ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
  const url = new URL(server);
  url.pathname = beside ? `${url.pathname}_e2e_${name}` : `/nitilens_e2e_${name}_${Date.now()}`;
  const database = url.pathname.slice(1);
  const onServer = async (statement: string) => {
    const admin = postgres(server, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(statement);
    } finally {
      await admin.end();
    }
  };
  // A run that died before dropping it leaves it behind.
  await onServer(`drop database if exists "${database}" with (force)`);
  await onServer(`create database "${database}"`);
  return {
    url: url.toString(),
    drop: () => onServer(`drop database if exists "${database}" with (force)`).catch(() => undefined),
  };
}

export type JourneyOptions = {
  /** Settings handed to `npm run dev` and on to the Worker (DEFAULT_PLAN, SMTP_URL ...). */
  env?: Record<string, string>;
  /** A fresh Postgres database of the journey's own (`journey.databaseUrl`), dropped when the journey closes. */
  database?: string;
  /** `npm run dev` runs on `database` instead of an embedded one: the journey reaches the server's data itself. */
  serveFromDatabase?: boolean;
  /** How long the page waits for an element or a navigation (playwright's default: 30 s). */
  timeoutMs?: number;
};

/**
 * What every journey starts from: a dev server, Debian's Chromium on its first page, the page's
 * console errors (a journey fails on any), and a folder for the files it writes; `close` ends them all.
 */
export type Journey = {
  baseUrl: string;
  page: Page;
  consoleErrors: string[];
  files: string;
  close: () => Promise<void>;
};

/** Starts a journey (`JourneyOptions`); everything started is stopped again when a step fails. */
export async function openJourney(
  options: JourneyOptions & { database: string },
): Promise<Journey & { databaseUrl: string }>;
export async function openJourney(options?: JourneyOptions): Promise<Journey>;
export async function openJourney(options: JourneyOptions = {}): Promise<Journey & { databaseUrl?: string }> {
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const files = mkdtempSync(join(tmpdir(), 'nitilens-e2e-files-'));
    stops.push(async () => rmSync(files, { recursive: true, force: true }));
    const database = options.database === undefined ? undefined : await createJourneyDatabase(options.database);
    if (database) stops.push(database.drop);
    const server = await startDevServer({
      env: options.env,
      databaseUrl: options.serveFromDatabase ? database?.url : undefined,
    });
    stops.push(server.stop);
    const browser = await launchBrowser(server.baseUrl);
    stops.push(browser.close);
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    if (options.timeoutMs) page.setDefaultTimeout(options.timeoutMs);
    const consoleErrors = collectConsoleErrors(page);
    return { baseUrl: server.baseUrl, page, consoleErrors, files, databaseUrl: database?.url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Skeletons mean a query is still loading: the picture is taken once every one is gone.
  await settled(page);
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/** Waits for the page's title (its one `h1`): the page is there. */
export async function heading(page: Page, name: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** The main navigation: the sidebar from 1024 px, behind "Open navigation" below. */
export function mainNav(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

/** Follows the sidebar's link `label` and waits for the page titled `title` (the label itself unless given). */
export async function goTo(page: Page, label: string, title: string | RegExp = label): Promise<void> {
  await mainNav(page).getByRole('link', { name: label }).click();
  await heading(page, title);
}

/** The same through the collapsed navigation of a phone or tablet. */
export async function goToViaMenu(page: Page, label: string, title: string | RegExp = label): Promise<void> {
  await page.getByRole('button', { name: 'Open navigation' }).click();
  await page.getByRole('dialog', { name: 'Navigation' }).getByRole('link', { name: label }).click();
  await heading(page, title);
}

/** Waits until no skeleton is left: every query of the page has answered. */
export async function settled(page: Page, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.animate-pulse'), undefined, { timeout: timeoutMs });
}

/**
 * What `callApi` sends: a bearer token, and a body (JSON unless `contentType` says otherwise, then
 * sent as is); `status`, the one status the answer must have (any 2xx without it).
 */
export type ApiOptions = { token?: string | null; body?: unknown; contentType?: string; status?: number };

/** The body of a 2xx answer to `method path`: the route's view (test/api-routes.ts); unknown for a route it lacks. */
type Answer<M extends Method, P extends string> = ResponseOf<M, P, 200>;

/**
 * One call to the API; an answer of another status throws with the status and the body. The answer
 * is typed from the route's view schema; a route the table lacks names its shape: `callApi<Shape>(...)`.
 */
export async function callApi<M extends Method, P extends string>(
  baseUrl: string,
  method: M,
  path: P,
  options?: ApiOptions,
): Promise<Answer<M, P>>;
export async function callApi<T>(baseUrl: string, method: Method, path: string, options?: ApiOptions): Promise<T>;
export async function callApi(
  baseUrl: string,
  method: Method,
  path: string,
  options: ApiOptions = {},
): Promise<unknown> {
  const { token, body, contentType = 'application/json', status } = options;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : (body as string),
  });
  const text = await response.text();
  if (status === undefined ? !response.ok : response.status !== status)
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

type CallOptions = Pick<ApiOptions, 'contentType' | 'status'>;

/** `callApi` bound to a server and a token: `call(method, path, body?, { contentType?, status? })`, typed as callApi. */
export type Api = {
  <M extends Method, P extends string>(
    method: M,
    path: P,
    body?: unknown,
    options?: CallOptions,
  ): Promise<Answer<M, P>>;
  <T>(method: Method, path: string, body?: unknown, options?: CallOptions): Promise<T>;
};

export function apiAs(baseUrl: string, token: string | null): Api {
  return (method: Method, path: string, body?: unknown, options?: CallOptions) =>
    callApi<never>(baseUrl, method, path, { token, body, ...options });
}

/** Creates a rule and approves it (an admin's token): the rule in force. */
export async function approvedRule(call: Api, rule: Record<string, unknown>): Promise<{ id: string }> {
  const created = await call('POST', '/api/rules', rule, { status: 201 });
  await call('POST', `/api/rules/${created.id}/approve`, {}, { status: 200 });
  return created;
}

/** Signs in through the API: the access token for `callApi`. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const session = await callApi(baseUrl, 'POST', '/api/auth/login', {
    body: { email, password },
    status: 200,
  });
  return session.access_token;
}

/** A source's id and signing secret, as shown once when it is created. */
export type SigningSource = { id: string; secret: string };

/** Creates an ingest source (an admin's `call`): its id and its signing secret, shown this once. */
export async function createSource(call: Api, name: string): Promise<SigningSource> {
  const created = await call('POST', '/api/sources', { name }, { status: 201 });
  return { id: created.id, secret: created.signing_secret };
}

/**
 * Pushes one transaction (or an array) to a source as an ERP would, signed with its secret
 * (`X-NitiLens-Signature: t=<unix>,v1=<hmac>`); the webhook's answer, which must be 200.
 */
export async function pushSigned(
  baseUrl: string,
  source: SigningSource,
  transaction: unknown,
): Promise<Answer<'POST', `/api/ingest/${string}`>> {
  const body = JSON.stringify(transaction);
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', source.secret).update(`${t}.${body}`).digest('hex');
  const response = await fetch(`${baseUrl}/api/ingest/${source.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-nitilens-signature': `t=${t},v1=${signature}` },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`push to ${source.id}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Reads until `done` holds (every 300 ms), or throws with the last value read. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 400)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Who signs up in a journey: a new organization and its first admin. */
export type Admin = { org: string; name: string; email: string; password: string };

/** Signs in on the sign-in page the browser shows and waits for the overview. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await heading(page, 'Sign in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading(page, 'Overview');
}

/** Signs out through the account menu and waits for the sign-in page. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Account menu for / }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await heading(page, 'Sign in');
}

/** Signs a new organization up through the sign-up page and waits for its overview. */
export async function signUp(page: Page, admin: Admin): Promise<void> {
  await page.goto('/signup');
  await heading(page, 'Create your organization');
  await page.getByLabel('Organization').fill(admin.org);
  await page.getByLabel('Your name').fill(admin.name);
  await page.getByLabel('Work email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await heading(page, 'Overview');
}
