import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { openWorkerdSocket } from './cloudflare-socket';

export type Database = PostgresJsDatabase;

export type DatabaseClient = {
  db: Database;
  /** Must be awaited before the handler returns: a late end() leaves cancelled streams behind. */
  close: () => Promise<void>;
};

/** One client per request or queue message, through Hyperdrive's pooled connection string. */
export function createDatabaseClient(connectionString: string): DatabaseClient {
  const options = {
    max: 5,
    // Unnamed statements: Hyperdrive pools per transaction and PGlite multiplexes one session.
    prepare: false,
    fetch_types: false,
    onnotice: () => {},
    // Supported by postgres.js but missing from its type definitions.
    socket: openWorkerdSocket,
  };
  const client = postgres(connectionString, options as postgres.Options<Record<string, postgres.PostgresType>>);
  // No schema: the relational query API is not used, and building its config cost ~0.3 ms a request.
  return { db: drizzle(client), close: () => client.end({ timeout: 5 }) };
}
