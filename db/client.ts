import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { openWorkerdSocket } from './cloudflare-socket';
import * as schema from './schema';

export type Database = PostgresJsDatabase<typeof schema>;

export type DatabaseClient = {
  db: Database;
  /** Must be awaited before the handler returns: a late end() leaves cancelled streams behind. */
  close: () => Promise<void>;
};

/** One client per request or queue message, through Hyperdrive's pooled connection string. */
export function createDatabaseClient(connectionString: string): DatabaseClient {
  const client = postgres(connectionString, {
    max: 5,
    // Unnamed statements: Hyperdrive pools per transaction and PGlite multiplexes one session.
    prepare: false,
    fetch_types: false,
    socket: openWorkerdSocket as never,
    onnotice: () => {},
  });
  return { db: drizzle(client, { schema }), close: () => client.end({ timeout: 5 }) };
}
