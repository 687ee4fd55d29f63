/**
 * `npm run create-super-admin -- --email ops@example.com --password '...' --name 'Ops'`: the only
 * way to make a platform operator. DATABASE_URL as for `npm run migrate`, migrations applied.
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

const { values } = parseArgs({
  options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
});
const input = z.object({ email, password, name: z.string().trim().min(1).max(200) }).safeParse(values);
if (!input.success) {
  for (const issue of input.error.issues) console.error(`--${issue.path.join('.')}: ${issue.message}`);
  console.error(
    'Usage: npm run create-super-admin -- --email <email> --password <8-256 characters> --name <full name>',
  );
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
