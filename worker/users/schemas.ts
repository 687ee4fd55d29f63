import { z } from '@hono/zod-openapi';
import { email, password } from '../auth/schemas';
import { ROLES } from '../platform/permissions';

/** Every role but super_admin: platform operators are only made from the command line. */
export const ASSIGNABLE_ROLES = ['compliance_admin', 'compliance_analyst', 'reviewer', 'viewer'] as const;
const assignableRole = z.enum(ASSIGNABLE_ROLES);

// Strict objects: a body carrying org_id, id, email or any other server-owned field is a 400.
export const createUserBody = z
  .strictObject({
    email,
    full_name: z.string().trim().min(1).max(200),
    role: assignableRole,
    password,
  })
  .openapi('CreateUserRequest');

export const updateUserBody = z
  .strictObject({
    role: assignableRole.optional(),
    is_active: z.boolean().optional(),
  })
  .refine((body) => body.role !== undefined || body.is_active !== undefined, {
    message: 'Give role, is_active or both.',
  })
  .openapi('UpdateUserRequest');

export const managedUserView = z
  .object({
    id: z.uuid(),
    email: z.string(),
    full_name: z.string(),
    role: z.enum(ROLES),
    is_active: z.boolean(),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('ManagedUser');

export type CreateUserInput = z.infer<typeof createUserBody>;
export type UpdateUserInput = z.infer<typeof updateUserBody>;
export type ManagedUserView = z.infer<typeof managedUserView>;
