import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { instant } from '../platform/timestamps';

export const auditFilters = z.object({
  action: z.string().max(100).optional(),
  actor_id: z.uuid().optional(),
  target_type: z.string().max(100).optional(),
  target_id: z.string().max(200).optional(),
  from: instant.optional().describe('Entries at or after this instant'),
  to: instant.optional().describe('Entries at or before this instant'),
});

export const auditQuery = pageQuery.extend(auditFilters.shape);

export const auditEntryView = z
  .object({
    id: z.uuid(),
    seq: z.number().int(),
    actor_id: z.uuid().nullable(),
    actor_name: z.string().nullable().describe('The acting user, by name; null when the product acted'),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    target_name: z.string().nullable().describe('What was acted on, by name, where it has one and still exists'),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEntry');

const CHAIN_BREAKS = ['sequence_gap', 'prev_hash_mismatch', 'hash_mismatch'] as const;

export const chainVerdictView = z
  .object({
    valid: z.boolean(),
    rows: z.number().int(),
    first_broken: z
      .object({
        seq: z.number().int(),
        id: z.uuid(),
        reason: z
          .enum(CHAIN_BREAKS)
          .describe(
            'sequence_gap: a row is missing; prev_hash_mismatch: the link to the previous row is broken; hash_mismatch: the row was altered',
          ),
      })
      .optional(),
  })
  .openapi('AuditChainVerdict');

export type AuditQuery = z.infer<typeof auditQuery>;
export type AuditEntryView = z.infer<typeof auditEntryView>;
export type ChainBreak = (typeof CHAIN_BREAKS)[number];
export type ChainVerdict = z.infer<typeof chainVerdictView>;
