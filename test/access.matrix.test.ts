import { beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission, ROLES, type Role, roleHas } from '../worker/platform/permissions';
import {
  addUser,
  api,
  apiJson,
  expectProblem,
  registerOrganization,
  type Session,
  setPlan,
  signInPlatformOperator,
} from './helpers';

type Operation = { method: string; path: string; permission: Permission };

// The table comes from the live OpenAPI document and the permission table: routes added later are covered.
const doc = await apiJson('GET', '/api/openapi.json', 200);
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([, operation]) => operation['x-permission'] !== 'public')
    .map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      permission: operation['x-permission'] as Permission,
    })),
);
const matrix = operations.flatMap((operation) =>
  ROLES.map((role) => ({ ...operation, role, allowed: roleHas(role, operation.permission) })),
);

/** The smallest request that reaches the route: unknown ids, an empty JSON body. */
function minimalRequest(operation: Operation, token?: string) {
  const path = operation.path.replace(/\{[^}]+\}/g, () => crypto.randomUUID());
  const body = ['POST', 'PUT', 'PATCH'].includes(operation.method) ? {} : undefined;
  return api(operation.method, path, { token, body });
}

const sessions = {} as Record<Role, Session>;

beforeAll(async () => {
  const admin = await registerOrganization('Matrix Org');
  await setPlan(admin.organization.id, 'pro');
  sessions.compliance_admin = admin;
  sessions.compliance_analyst = await addUser(admin, 'compliance_analyst');
  sessions.reviewer = await addUser(admin, 'reviewer');
  sessions.viewer = await addUser(admin, 'viewer');
  sessions.super_admin = await signInPlatformOperator();
});

describe('security', () => {
  it('covers every permission-guarded route of the document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(10);
    for (const operation of operations) expect(Object.keys(PERMISSIONS)).toContain(operation.permission);
  });

  it.each(operations)('$method $path without a token: 401', async (operation) => {
    expect((await minimalRequest(operation)).status).toBe(401);
  });

  it.each(matrix)(
    '$method $path as $role (needs $permission, allowed: $allowed)',
    async ({ role, allowed, ...operation }) => {
      const response = await minimalRequest(operation, sessions[role].access_token);
      if (allowed) {
        // Validation (400), an unknown id (404) and the like are fine: the role got past the permission check.
        expect([401, 403]).not.toContain(response.status);
        expect(response.status).toBeLessThan(500);
      } else {
        await expectProblem(response, 403);
      }
    },
  );
});
