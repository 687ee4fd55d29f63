/** `npm run migrate`: applies migrations and db/security.sql to DATABASE_URL (as its owner). */
import { applyMigrations } from '../db/migrate';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: point it at the database to migrate, as its owner.');
  process.exit(1);
}
// WORKER_DATABASE_PASSWORD creates/updates the unprivileged login role the Worker connects as.
await applyMigrations(url, { workerPassword: process.env.WORKER_DATABASE_PASSWORD });
console.log('migrations applied');
