import type { Database } from '../../db/client';
import type { Env } from '../env';
import type { Role } from './permissions';

/** Who is calling, loaded from the database on every request (a deactivation takes effect at once). */
export type Caller = {
  userId: string;
  orgId: string;
  role: Role;
  email: string;
  fullName: string;
  /** The IANA zone the user reads times in; null: the browser's own. */
  timeZone: string | null;
};

export type AppEnv = { Bindings: Env };

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
    /** The request's database handle, connected on first use and closed before the response leaves. */
    database: () => Database;
    caller: Caller;
    /** How long this request's new database connections wait for a slot (admission.ts); unset: the default 5 s. */
    connectionWaitMs: number | undefined;
  }
}
