export const ROLES = ['super_admin', 'compliance_admin', 'compliance_analyst', 'reviewer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const ADMINS: Role[] = ['super_admin', 'compliance_admin'];
const AUTHORS: Role[] = [...ADMINS, 'compliance_analyst'];
const EVERYONE: Role[] = [...ROLES];

/** The permission matrix of the contract (section 3), in one table. */
export const PERMISSIONS = {
  'policies:write': AUTHORS,
  'rules:write': AUTHORS,
  'screening:write': AUTHORS,
  'transactions:ingest': AUTHORS,
  'scans:run': AUTHORS,
  'rules:approve': [...ADMINS, 'reviewer'],
  'data:read': EVERYONE,
  'violations:update': [...AUTHORS, 'reviewer'],
  'cases:update': [...AUTHORS, 'reviewer'],
  'cases:manage': ADMINS,
  'users:manage': ADMINS,
  'sources:manage': ADMINS,
  'alerts:manage': ADMINS,
  'connectors:manage': ADMINS,
  'subscription:manage': ADMINS,
  'risk:train': ADMINS,
  'audit:read': ADMINS,
  'jobs:read': ADMINS,
  'platform:admin': ['super_admin'],
} as const satisfies Record<string, Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function roleHas(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
