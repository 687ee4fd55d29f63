import { spawn } from 'node:child_process';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../db/migrate';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../scripts/embedded-postgres';

// The operator tool as an operator runs it: a Node process against a migrated database.
let embedded: EmbeddedPostgres | undefined;
let url: string;

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) url = process.env.TEST_DATABASE_URL;
  else {
    embedded = await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
    url = embedded.url;
  }
  await applyMigrations(url);
});

afterAll(async () => {
  await embedded?.stop();
});

type Run = { code: number | null; stdout: string; stderr: string };

function createSuperAdmin(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  return new Promise<Run>((resolve, reject) => {
    // The machine's own SUPER_ADMIN_PASSWORD, if any, never reaches the tool: each test says what it sends.
    const { SUPER_ADMIN_PASSWORD: _, ...inherited } = process.env;
    const child = spawn('npx', ['tsx', 'scripts/create-super-admin.ts', ...args], {
      env: { ...inherited, DATABASE_URL: url, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

async function superAdmins(email: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int as n from users where email = ${email} and role = 'super_admin'`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

describe('npm run create-super-admin', { timeout: 60_000 }, () => {
  const stamp = Date.now();

  it('refuses a password on the command line, where other users and the shell history see it', async () => {
    const email = `cli-${stamp}@ops.example`;
    const run = await createSuperAdmin(['--email', email, '--name', 'Ops', '--password', 'a-long-enough-password']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--password is refused');
    expect(await superAdmins(email)).toBe(0);
  });

  it('refuses a short password, naming the field', async () => {
    const email = `short-${stamp}@ops.example`;
    const run = await createSuperAdmin(['--email', email, '--name', 'Ops'], { env: { SUPER_ADMIN_PASSWORD: 'short' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^password: /m);
    expect(await superAdmins(email)).toBe(0);
  });

  it('creates an operator from SUPER_ADMIN_PASSWORD, and from standard input', async () => {
    const fromEnv = `env-${stamp}@ops.example`;
    const byEnv = await createSuperAdmin(['--email', fromEnv, '--name', 'Ops'], {
      env: { SUPER_ADMIN_PASSWORD: 'a-long-enough-password' },
    });
    expect(byEnv.stderr).toBe('');
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toContain(`super_admin ${fromEnv} created`);
    expect(await superAdmins(fromEnv)).toBe(1);

    const fromStdin = `stdin-${stamp}@ops.example`;
    const byStdin = await createSuperAdmin(['--email', fromStdin, '--name', 'Ops'], {
      stdin: 'another-long-enough-password\n',
    });
    expect(byStdin.code).toBe(0);
    expect(await superAdmins(fromStdin)).toBe(1);
  });
});
