/**
 * `npm run create-super-admin -- --email ops@example.com --name 'Ops'`: the only way to make a
 * platform operator. DATABASE_URL as for `npm run migrate`, migrations applied. The password is
 * read from SUPER_ADMIN_PASSWORD or standard input, never the command line (which other users of
 * the machine see in the process list and which lands in shell history).
 */
import { parseArgs } from 'node:util';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { z } from 'zod';
import { isUniqueViolation } from '../db/errors';
import { createSuperAdmin, PLATFORM_ORG_NAME } from '../worker/admin/super-admin';
import { passwordCost } from '../worker/auth/passwords';
import { email, password } from '../worker/auth/schemas';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: point it at the NitiLens database.');
  process.exit(1);
}

const USAGE =
  'Usage: SUPER_ADMIN_PASSWORD=... npm run create-super-admin -- --email <email> --name <full name>\n' +
  '   or: npm run create-super-admin -- --email <email> --name <full name>   (password on standard input)';

const { values } = parseArgs({
  options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
});
if (values.password !== undefined) {
  console.error('--password is refused: the command line is visible to other users and kept in shell history.');
  console.error(USAGE);
  process.exit(1);
}

/** The first line of standard input (a prompt when it is a terminal; what is typed is not echoed). */
async function passwordFromStdin(): Promise<string> {
  const { createInterface } = await import('node:readline');
  const terminal = process.stdin.isTTY === true;
  const lines = createInterface({ input: process.stdin, output: terminal ? process.stderr : undefined, terminal });
  if (terminal) {
    process.stderr.write('Password: ');
    // Echo nothing of what is typed.
    (lines as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = () => {};
  }
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    if (terminal) process.stderr.write('\n');
    lines.close();
  }
}

const suppliedPassword = process.env.SUPER_ADMIN_PASSWORD ?? (await passwordFromStdin());
const input = z
  .object({ email, password, name: z.string().trim().min(1).max(200) })
  .safeParse({ ...values, password: suppliedPassword });
if (!input.success) {
  for (const issue of input.error.issues) {
    const field = issue.path.join('.');
    console.error(`${field === 'password' ? 'password' : `--${field}`}: ${issue.message}`);
  }
  console.error(USAGE);
  process.exit(1);
}

const client = postgres(url, { max: 1, onnotice: () => {} });
try {
  // An operator account always gets the production KDF cost, whatever PASSWORD_COST says.
  const user = await createSuperAdmin(
    drizzle(client),
    { email: input.data.email, password: input.data.password, fullName: input.data.name },
    passwordCost(undefined),
  );
  console.log(`super_admin ${user.email} created in "${PLATFORM_ORG_NAME}" (user id ${user.id})`);
} catch (error) {
  if (!isUniqueViolation(error, 'users_email_unique')) throw error;
  console.error(`An account with the email ${input.data.email} already exists.`);
  process.exitCode = 1;
} finally {
  await client.end();
}
