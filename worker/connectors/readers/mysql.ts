import { createConnection, type RowDataPacket } from 'mysql2/promise';
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

/** Reads a customer's MySQL or MariaDB from the Worker (mysql2 over a TCP socket), read-only. */
export async function mysqlReader({ config, secret, policy }: ReaderInput<SqlConfig>): Promise<ConnectorReader> {
  const address = await guardedDatabaseUrl(secret.url, ['mysql:'], 3306, policy);
  const limit = config.page_size ?? DEFAULT_PAGE_SIZE;
  const order: string[] = [];
  const statement = config.query.replace(QUERY_PLACEHOLDER, (_, name: string) => {
    order.push(name);
    return '?';
  });
  let connection: Awaited<ReturnType<typeof createConnection>>;
  try {
    connection = await createConnection({
      host: address.host,
      port: address.port,
      user: address.user,
      password: address.password,
      database: address.database,
      // workerd refuses code generation from strings, which mysql2's row parsers use by default.
      disableEval: true,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: 15_000,
    });
    // Whatever the grants, this session cannot write: the customer's data is only read.
    await connection.query('SET SESSION TRANSACTION READ ONLY');
  } catch (error) {
    throw new SourceError(`MySQL: ${(error as Error).message}`);
  }
  return {
    async nextPage(cursor) {
      let rows: SourceRow[];
      try {
        const [result] = await connection.query<RowDataPacket[]>(
          statement,
          order.map((name) => (name === 'cursor' ? cursor : limit)),
        );
        rows = result.map((row) =>
          Object.fromEntries(
            Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? rfc3339(v) : plainValue(v)]),
          ),
        );
      } catch (error) {
        throw new SourceError(`MySQL: ${(error as Error).message}`);
      }
      return pageAfter(rows, config.cursor_column, limit, cursor);
    },
    close: () => connection.end().catch(() => undefined),
  };
}
