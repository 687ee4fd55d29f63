/**
 * `npm run dev`: the whole product on one port. Embedded Postgres (or DATABASE_URL), migrations,
 * a demo organization, the dashboard built and rebuilt on change, and `wrangler dev` serving the
 * API, the Durable Objects, the queue consumer and the Cron Triggers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { applyMigrations } from '../db/migrate';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';
import { waitForHealth } from './wait-for-health';

const port = Number(process.env.PORT ?? 8787);
const dataDir = process.env.NITILENS_DATA_DIR ?? '.data';
const defaultPlan = process.env.DEFAULT_PLAN ?? 'basic';
const children: ChildProcess[] = [];
/** Settings of the Worker (README, Configuration) that `npm run dev` hands on from its own environment when set. */
const PASSED_THROUGH = [
  'SMTP_URL',
  'SMTP_FROM',
  'ALERT_ALLOW_PRIVATE_URLS',
  'CONNECTOR_ALLOW_PRIVATE_HOSTS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'APP_BASE_URL',
  'STRIPE_API_URL',
  'TRIAL_DAYS',
  'METRICS_TOKEN',
];
let embedded: EmbeddedPostgres | undefined;

type DevSecrets = { jwtSecret: string; sourceSecretKey: string; demoPassword: string };

/** Secrets for local development live with the local data, so sessions survive restarts. */
function devSecrets(): DevSecrets {
  const file = `${dataDir}/dev-secrets.json`;
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    jwtSecret: randomBytes(32).toString('hex'),
    sourceSecretKey: randomBytes(32).toString('base64'),
    demoPassword: `demo-${randomBytes(6).toString('hex')}`,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Each child leads its own process group, so stopping it also stops what it started (workerd, esbuild). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(command, args, { stdio: 'inherit', env, detached: true });
  children.push(child);
  return child;
}

/** The minute cron's trigger below: wrangler logs each request (without its query), and this one is not news. */
const CRON_PATH = '/__scheduled';

/** Like `run`, with the output passed on line by line, less the lines of the minute cron's requests. */
function runQuietCron(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'], env, detached: true });
  children.push(child);
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      const kept = lines.filter(
        (line) => !line.includes(`GET ${CRON_PATH}`) && !line.includes(`"path":"${CRON_PATH}"`),
      );
      if (kept.length > 0) out.write(`${kept.join('\n')}\n`);
    });
    stream?.on('end', () => {
      if (pending) out.write(pending);
    });
  }
  return child;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function finished(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

/**
 * Registers the demo organization through the real API the first time; later runs just print it.
 * A marker beside the data says it is done, so no failed login is logged to find out.
 */
async function seedDemo(base: string, secrets: DevSecrets): Promise<void> {
  const email = 'demo@nitilens.local';
  const marker = `${dataDir}/demo-seeded`;
  if (!existsSync(marker)) {
    const registered = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org_name: 'Demo Bank', email, password: secrets.demoPassword, full_name: 'Demo Admin' }),
    });
    // 409: registered before with this data (a DATABASE_URL kept across data directories).
    if (registered.ok || registered.status === 409) writeFileSync(marker, `${email}\n`);
    else console.warn(`[dev] could not seed the demo organization: ${registered.status} ${await registered.text()}`);
  }
  console.log(`\n  NitiLens is running on ${base}\n  Demo login: ${email} / ${secrets.demoPassword}\n`);
}

/** `--var NAME:value` for each setting set in this environment; alert links point at this server unless told otherwise. */
function passedThrough(): string[] {
  const values: Record<string, string | undefined> = { APP_BASE_URL: `http://localhost:${port}`, ...process.env };
  return PASSED_THROUGH.flatMap((name) => (values[name] ? ['--var', `${name}:${values[name]}`] : []));
}

/**
 * How long the children get after SIGTERM before their groups are killed. Each child leads a
 * process group of its own, out of reach of whoever stops `npm run dev` by its group (the browser
 * journeys kill it after 10 s): a wrangler still shutting down then was left serving, orphaned.
 */
const STOP_GRACE_MS = 5_000;

async function shutdown(code: number): Promise<never> {
  const running = children.filter((child) => child.exitCode === null);
  for (const child of running) signalGroup(child, 'SIGTERM');
  const killing = setTimeout(() => {
    for (const child of running) signalGroup(child, 'SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(running.map(finished));
  clearTimeout(killing);
  await embedded?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: `${dataDir}/pglite`, port: 0 });
    databaseUrl = embedded.url;
    console.log(`[dev] embedded Postgres (PGlite) with data in ${dataDir}/pglite`);
  }
  await applyMigrations(databaseUrl);
  const secrets = devSecrets();

  // A broken dashboard build must not take the API down with it: warn, keep watching for a fix.
  if ((await finished(run('npx', ['vite', 'build', '--logLevel', 'warn']))) !== 0) {
    console.warn('[dev] the dashboard build failed (above); the API still starts and the dashboard rebuilds on change');
    mkdirSync('web/dist', { recursive: true });
  }
  run('npx', ['vite', 'build', '--watch', '--logLevel', 'warn']);

  const wrangler = runQuietCron(
    'npx',
    [
      'wrangler',
      'dev',
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--persist-to',
      `${dataDir}/wrangler`,
      '--test-scheduled',
      '--show-interactive-dev-session=false',
      '--var',
      `JWT_SECRET:${secrets.jwtSecret}`,
      '--var',
      `SOURCE_SECRET_KEY:${secrets.sourceSecretKey}`,
      '--var',
      `DEFAULT_PLAN:${defaultPlan}`,
      ...passedThrough(),
    ],
    {
      // The placeholder Request.cf serves local development; fetching the real one warns on every offline start.
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      ...process.env,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: databaseUrl,
    },
  );
  wrangler.on('exit', (code) => void shutdown(code ?? 1));

  const base = `http://localhost:${port}`;
  await waitForHealth(`${base}/health`, 120_000);
  await seedDemo(base, secrets);
  // Local wrangler does not fire Cron Triggers by itself: drive the minute cron like production.
  setInterval(() => void fetch(`${base}${CRON_PATH}?cron=${encodeURIComponent('* * * * *')}`).catch(() => {}), 60_000);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (error: unknown) => {
  console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
