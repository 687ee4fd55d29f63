import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import postgres from 'postgres';

export type EmbeddedPostgres = { url: string; stop: () => Promise<void> };

/**
 * PGlite (Postgres compiled to WebAssembly) served over the wire protocol on a local TCP port,
 * so wrangler's Hyperdrive binding and every Postgres client can reach it. `dataDir` undefined
 * keeps it in memory.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string | undefined;
  port: number;
}): Promise<EmbeddedPostgres> {
  // pg_trgm: screening's candidate generation (migrations create the extension).
  const db = await PGlite.create(options.dataDir, { extensions: { pg_trgm } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port, maxConnections: 32 });
  await server.start();
  const address = server.getServerConn();
  // PGlite accepts any password; Hyperdrive's local connection string requires one.
  return {
    url: `postgres://postgres:postgres@${address}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** Empties a test database: every object of the project's schemas goes. */
export async function resetDatabase(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client.unsafe('DROP SCHEMA IF EXISTS drizzle CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  } finally {
    await client.end();
  }
}
