import postgres from 'postgres';
import { openWorkerdSocket } from '../../../db/cloudflare-socket';
import type { SqlConfig } from '../schemas';
import { guardedDatabaseUrl } from './database-url';
import {
  type ConnectorReader,
  DEFAULT_PAGE_SIZE,
  plainValue,
  QUERY_PLACEHOLDER,
  type ReaderInput,
  rfc3339,
  SourceError,
  type SourceRow,
} from './reader';
import { pageAfter } from './sql-page';

// date, time, timestamp, timestamptz, timetz: kept as text (microseconds survive), in RFC 3339 form.
const DATE_TYPES = [1082, 1083, 1114, 1184, 1266];

/** Reads a customer's Postgres over a TCP socket from the Worker, in read-only transactions. */
export async function postgresReader({ config, secret, policy }: ReaderInput<SqlConfig>): Promise<ConnectorReader> {
  const address = await guardedDatabaseUrl(secret.url, ['postgres:', 'postgresql:'], 5432, policy);
  const options = {
    host: address.host,
    port: address.port,
    user: address.user,
    password: address.password,
    database: address.database,
    max: 1,
    prepare: false,
    fetch_types: false,
    connect_timeout: 15,
    onnotice: () => {},
    // Whatever the grants, this session cannot write: the customer's data is only read.
    connection: { application_name: 'nitilens-connector', default_transaction_read_only: 'on' },
    types: { dates: { to: 1184, from: DATE_TYPES, serialize: (x: string) => x, parse: (x: string) => rfc3339(x) } },
    socket: openWorkerdSocket,
  };
  const client = postgres(options as unknown as postgres.Options<Record<string, postgres.PostgresType>>);
  const limit = config.page_size ?? DEFAULT_PAGE_SIZE;
  const statement = config.query.replace(QUERY_PLACEHOLDER, (_, name: string) => (name === 'cursor' ? '$1' : '$2'));
  return {
    async nextPage(cursor) {
      let rows: SourceRow[];
      try {
        const result = await client.unsafe(statement, [cursor, limit] as never[]);
        rows = result.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plainValue(v)])));
      } catch (error) {
        throw new SourceError(`Postgres: ${(error as Error).message}`);
      }
      return pageAfter(rows, config.cursor_column, limit, cursor);
    },
    close: () => client.end({ timeout: 5 }).catch(() => undefined),
  };
}
