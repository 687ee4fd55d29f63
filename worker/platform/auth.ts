import { eq } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { users } from '../../db/schema';
import { withTenant } from '../../db/tenant';
import type { AppEnv, Caller } from './context';
import { ApiError } from './errors';
import { type Permission, type Role, roleHas } from './permissions';
import { verifyAccessToken } from './tokens';

/** Authenticates the bearer token, reloads the user, and checks the role holds `permission`. */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async function requirePermissionMiddleware(c, next) {
    const caller = await authenticate(c);
    if (!roleHas(caller.role, permission)) {
      throw new ApiError('forbidden', `Your role (${caller.role}) does not allow this action.`);
    }
    await next();
  };
}

async function authenticate(c: Context<AppEnv>): Promise<Caller> {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!match?.[1]) throw new ApiError('unauthorized', 'An Authorization: Bearer <access token> header is required.');
  const claims = await verifyAccessToken(c.env, match[1]);
  // The role and active flag come from the database, not the token: changes take effect at once.
  const user = await withTenant(c.var.database(), claims.org, async (tx) => {
    const [row] = await tx.select().from(users).where(eq(users.id, claims.sub)).limit(1);
    return row;
  });
  if (!user?.isActive) throw new ApiError('unauthorized', 'This account is deactivated or no longer exists.');
  const caller: Caller = {
    userId: user.id,
    orgId: user.orgId,
    role: user.role as Role,
    email: user.email,
    fullName: user.fullName,
    timeZone: user.timeZone,
  };
  c.set('caller', caller);
  return caller;
}
