import { createConnection } from 'mysql2/promise';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { applyMigrations, WORKER_ROLE } from '../db/migrate';
import { startAlertReceivers } from '../scripts/alert-receivers';
import { resetDatabase, startEmbeddedPostgres } from '../scripts/embedded-postgres';
import { startErpRestStandIn } from './erp-rest-stand-in';
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
    /** A customer's own Postgres database for connectors to read (a database of its own on a real server). */
    customerPgUrl: string;
    /** The same database as its owner, for tests to create and fill the customer's tables. */
    customerOwnerUrl: string;
    /** The customer's MariaDB database, as the read-only user a customer gives, and as its owner. */
    customerMysqlUrl: string;
    customerMysqlOwnerUrl: string;
    /** The local ERP REST API for REST connectors (test/erp-rest-stand-in.ts). */
    erpRestUrl: string;
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
  project.provide('customerPgUrl', external ? await createCustomerDatabase(external) : url);
  project.provide('customerOwnerUrl', external ? customerOwnerUrl(external) : url);
  const mysql = await createCustomerMysqlDatabase(external ? new URL(external).pathname.slice(1) : 'nitilens_embedded');
  project.provide('customerMysqlUrl', mysql.reader);
  project.provide('customerMysqlOwnerUrl', mysql.owner);
  const erp = await startErpRestStandIn();
  project.provide('erpRestUrl', erp.url);
  const receivers = await startAlertReceivers();
  project.provide('alertReceiverUrl', receivers.httpUrl);
  project.provide('smtpUrl', receivers.smtpUrl);
  return async () => {
    await stripe.close();
    await erp.close();
    await receivers.stop();
    await embedded?.stop();
  };
}

const CUSTOMER_READER_PASSWORD = 'reader-secret-7c2e';

function customerOwnerUrl(testUrl: string): string {
  const customer = new URL(testUrl);
  customer.pathname = `${customer.pathname.replace(/^\//, '')}_erp`;
  return customer.toString();
}

/** `<test database>_erp`, created afresh beside the test database: the customer's system a connector reads. */
async function createCustomerDatabase(testUrl: string): Promise<string> {
  const customer = new URL(customerOwnerUrl(testUrl));
  const admin = postgres(testUrl, { max: 1, onnotice: () => {} });
  try {
    const name = customer.pathname.slice(1);
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const reader = new URL(customer);
  const db = postgres(customer.toString(), { max: 1, onnotice: () => {} });
  try {
    // The grants docs/connectors.md asks a customer for: connect, and select on what is read.
    await db.unsafe(`do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'nitilens_reader') then
        create role nitilens_reader login password '${CUSTOMER_READER_PASSWORD}';
      end if; end $$`);
    await db.unsafe(`grant connect on database "${customer.pathname.slice(1)}" to nitilens_reader`);
    await db.unsafe('grant usage on schema public to nitilens_reader');
    await db.unsafe('alter default privileges in schema public grant select on tables to nitilens_reader');
  } finally {
    await db.end();
  }
  reader.username = 'nitilens_reader';
  reader.password = CUSTOMER_READER_PASSWORD;
  return reader.toString();
}

/** The machine's MariaDB (`.ci/run` starts it): root on 127.0.0.1:3306 without a password, or MARIADB_URL. */
async function createCustomerMysqlDatabase(base: string): Promise<{ reader: string; owner: string }> {
  const server = new URL(process.env.MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/');
  const name = `${base}_erp`.replace(/[^\w]/g, '_');
  let admin: Awaited<ReturnType<typeof createConnection>>;
  try {
    admin = await createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username),
      password: decodeURIComponent(server.password),
    });
  } catch (error) {
    throw new Error(`MariaDB is needed for the MySQL connector tests (${server.host}): ${String(error)}`);
  }
  try {
    await admin.query(`drop database if exists \`${name}\``);
    await admin.query(`create database \`${name}\``);
    // The grant docs/connectors.md asks a customer for: SELECT on the database read, nothing else.
    await admin.query(`create user if not exists 'nitilens_reader'@'%' identified by '${CUSTOMER_READER_PASSWORD}'`);
    await admin.query(`grant select on \`${name}\`.* to 'nitilens_reader'@'%'`);
  } finally {
    await admin.end();
  }
  const owner = new URL(server);
  owner.pathname = `/${name}`;
  const reader = new URL(owner);
  reader.username = 'nitilens_reader';
  reader.password = CUSTOMER_READER_PASSWORD;
  return { reader: reader.toString(), owner: owner.toString() };
}
