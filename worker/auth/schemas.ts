import { z } from '@hono/zod-openapi';
import { ROLES } from '../platform/permissions';
import { isTimeZone } from '../sources/zoned-time';

export const email = z.string().trim().toLowerCase().max(254).pipe(z.email());
export const password = z
  .string()
  .min(8, 'Password must be at least 8 characters.')
  .max(256, 'Password must be at most 256 characters.');

export const registerBody = z
  .object({
    org_name: z.string().trim().min(1).max(200),
    email,
    password,
    full_name: z.string().trim().min(1).max(200),
  })
  .openapi('RegisterRequest');

export const loginBody = z.object({ email, password: z.string().min(1).max(256) }).openapi('LoginRequest');

export const refreshBody = z.object({ refresh_token: z.string().min(1).max(512) }).openapi('RefreshRequest');

const userView = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(ROLES),
    full_name: z.string(),
    time_zone: z
      .string()
      .nullable()
      .openapi({ description: "The IANA time zone the dashboard shows this user's times in; null: the browser's" }),
  })
  .openapi('User');

const organizationView = z.object({ id: z.uuid(), name: z.string() }).openapi('Organization');

export const sessionView = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    user: userView,
    organization: organizationView,
  })
  .openapi('Session');

export const meView = z.object({ user: userView, organization: organizationView }).openapi('Me');

export const updateMeBody = z
  .strictObject({
    time_zone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin')
      .nullable()
      .openapi({ description: "An IANA time zone, or null for the browser's own" }),
  })
  .openapi('UpdateMeRequest');

export type SessionView = z.infer<typeof sessionView>;
