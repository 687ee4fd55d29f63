import type { TestProject } from 'vitest/node';
import { applyMigrations, WORKER_ROLE } from '../db/migrate';
import { startAlertReceivers } from '../scripts/alert-receivers';
import { resetDatabase, startEmbeddedPostgres } from '../scripts/embedded-postgres';
import { STAND_IN_SECRET_KEY, startStripeStandIn } from './stripe-stand-in';

const TEST_WORKER_PASSWORD = 'nitilens-test-worker';

function asWorker(url: string): string {
  const parsed = new URL(url);
  parsed.username = WORKER_ROLE;
  parsed.password = TEST_WORKER_PASSWORD;
  return parsed.toString();
}

declare module 'vitest' {
  interface ProvidedContext {
    pgUrl: string;
    /** The owner's URL, for tests that must act as a privileged insider (e.g. tampering with the audit log). */
    pgOwnerUrl: string;
    /** A local server that speaks Stripe's API (test/stripe-stand-in.ts). */
    stripeUrl: string;
    /** The secret key the stand-in accepts. */
    stripeSecretKey: string;
    /** The local HTTP receiver for alert webhooks and its control API (scripts/alert-receivers.ts). */
    alertReceiverUrl: string;
    /** The local SMTP server, with its credentials. */
    smtpUrl: string;
  }
}

/**
 * A real Postgres for the suite: TEST_DATABASE_URL (emptied first: it must be a database for
 * tests only), or an in-memory PGlite served on a local port.
 */
export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  const embedded = external ? undefined : await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
  const url = external ?? embedded!.url;
  if (external) await resetDatabase(external);
  await applyMigrations(url, { workerPassword: external ? TEST_WORKER_PASSWORD : undefined });
  // On a real server the Worker connects as the unprivileged login role, as in production.
  project.provide('pgUrl', external ? asWorker(external) : url);
  project.provide('pgOwnerUrl', url);
  const stripe = await startStripeStandIn();
  project.provide('stripeUrl', stripe.url);
  project.provide('stripeSecretKey', STAND_IN_SECRET_KEY);
  const receivers = await startAlertReceivers();
  project.provide('alertReceiverUrl', receivers.httpUrl);
  project.provide('smtpUrl', receivers.smtpUrl);
  return async () => {
    await stripe.close();
    await receivers.stop();
    await embedded?.stop();
  };
}
