/**
 * The Worker of `npm run bench:driver`: one request runs one transaction shaped like a push's
 * (begin, the tenant's setting, `statements` parameterized statements, commit) on a client of its
 * own, as the product's requests do, through the driver the request names.
 */
import pg from 'pg';
import postgres from 'postgres';
import { openWorkerdSocket } from '../../db/cloudflare-socket';

type Env = { DIRECT_URL: string; POOLED_URL?: string };
export type Driver = 'postgres.js described' | 'postgres.js one flight' | 'postgres.js named' | 'node-postgres';
type Statement = { text: string; params: (string | number)[] };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const driver = url.searchParams.get('driver') as Driver;
    const connectionString = url.searchParams.get('target') === 'pooled' ? env.POOLED_URL! : env.DIRECT_URL;
    const statements = pushShaped(Number(url.searchParams.get('statements')), Number(url.searchParams.get('key')));
    if (driver === 'node-postgres') await withNodePostgres(connectionString, statements);
    else await withPostgresJs(connectionString, statements, driver);
    return new Response('ok');
  },
};

/**
 * `count` statements after the tenant's setting, each of a text of its own (a push's statements
 * differ): a read by key, an insert returning its id and an update by key in turn.
 */
function pushShaped(count: number, key: number): Statement[] {
  const org = '00000000-0000-4000-8000-000000000001';
  const statements: Statement[] = [{ text: `select set_config('app.org_id', $1, true)`, params: [org] }];
  for (let n = 1; n < count; n++) {
    const k = `K-${(key + n) % 1000}`;
    const statement: Statement =
      n % 3 === 1
        ? { text: `select k, v from bench_driver_rows where org_id = $1 and k = $2 /* ${n} */`, params: [org, k] }
        : n % 3 === 2
          ? {
              text: `insert into bench_driver_log (org_id, k, v) values ($1, $2, $3) returning id /* ${n} */`,
              params: [org, k, n],
            }
          : {
              text: `update bench_driver_rows set v = v + $3 where org_id = $1 and k = $2 /* ${n} */`,
              params: [org, k, 1],
            };
    statements.push(statement);
  }
  return statements;
}

/**
 * As db/client.ts opens the product's clients (the same socket): `one flight` is the product's
 * setting, `described` postgres.js's own, `named` with named statements.
 */
async function withPostgresJs(connectionString: string, statements: Statement[], driver: Driver): Promise<void> {
  const sql = postgres(connectionString, {
    max: 1,
    prepare: driver === 'postgres.js named',
    fetch_types: false,
    onnotice: () => {},
    socket: openWorkerdSocket,
  } as postgres.Options<Record<string, postgres.PostgresType>>);
  (sql.options as { one_flight?: boolean }).one_flight = driver === 'postgres.js one flight';
  try {
    await sql.begin(async (tx) => {
      for (const { text, params } of statements) await tx.unsafe(text, params);
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** node-postgres: a parameterized statement is parsed, bound and run in one round trip. */
async function withNodePostgres(connectionString: string, statements: Statement[]): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('begin');
    for (const { text, params } of statements) await client.query(text, params);
    await client.query('commit');
  } finally {
    await client.end();
  }
}
