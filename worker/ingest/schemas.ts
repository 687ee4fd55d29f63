import { z } from '@hono/zod-openapi';
import { fieldErrors } from '../platform/responses';

const violationSummary = z.object({
  rule_id: z.uuid(),
  rule_name: z.string().openapi({ description: 'The name of the rule version that found it.' }),
  rule_version: z.number().int(),
  severity: z.string(),
  explanation: z.string(),
});
const pushResult = z.object({
  id: z.string().nullable(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  errors: fieldErrors.optional(),
  violations: z.array(violationSummary),
});
export const pushView = z.object({ results: z.array(pushResult) }).openapi('PushResults');
export type PushResult = z.infer<typeof pushResult>;
