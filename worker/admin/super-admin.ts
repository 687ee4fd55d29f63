import type { Database } from '../../db/client';
import { organizations, subscriptions, users } from '../../db/schema';
import { withTenant } from '../../db/tenant';
import { hashPassword, type ScryptCost } from '../auth/passwords';
import { recordAudit } from '../platform/audit';

/** The platform operators' own organization: a fixed id, so no tenant can register a look-alike. */
const PLATFORM_ORG_ID = '00000000-0000-4000-8000-000000000001';
export const PLATFORM_ORG_NAME = 'NitiLens Platform';

type SuperAdminInput = { email: string; password: string; fullName: string };

/** Only the command line calls this: a super_admin is never made through the API. */
export async function createSuperAdmin(
  db: Database,
  input: SuperAdminInput,
  cost: ScryptCost,
): Promise<{ id: string; email: string }> {
  const passwordHash = await hashPassword(input.password, cost);
  return withTenant(db, PLATFORM_ORG_ID, async (tx) => {
    await tx.insert(organizations).values({ id: PLATFORM_ORG_ID, name: PLATFORM_ORG_NAME }).onConflictDoNothing();
    await tx.insert(subscriptions).values({ orgId: PLATFORM_ORG_ID, planId: 'enterprise' }).onConflictDoNothing();
    const [user] = await tx
      .insert(users)
      .values({
        orgId: PLATFORM_ORG_ID,
        email: input.email,
        fullName: input.fullName,
        role: 'super_admin',
        passwordHash,
      })
      .returning({ id: users.id, email: users.email });
    await recordAudit(
      tx,
      { ip: null, userAgent: 'create-super-admin' },
      {
        orgId: PLATFORM_ORG_ID,
        actorId: null,
        action: 'user.created',
        targetType: 'user',
        targetId: user!.id,
        details: { email: user!.email, role: 'super_admin', via: 'command_line' },
      },
    );
    return user!;
  });
}
