import { z } from 'zod';
import { ruleInputSchema } from '../../rules/language';

/**
 * A proposed rule: a rule of the rule language (validated by its own schema, limits included) that
 * cites the clause and sentence it came from and says how sure the extractor is, and why.
 */
export const draftRuleSchema = ruleInputSchema.omit({ policy_id: true, clause_ref: true }).extend({
  description: z.string().max(4000),
  /** The key of the clause the rule enforces. */
  clause_ref: z.string().min(1).max(200),
  /** The sentence of that clause the rule came from. */
  source_text: z.string().min(1),
  confidence: z.number().min(0).max(1),
  /** What the extractor read and what it assumed. */
  reason: z.string().min(1).max(2000),
  /** Each mapping from the policy's words to fields and values, as sentences (grounding adds the stored values). */
  assumptions: z.array(z.string().min(1).max(1000)).max(50).default([]),
  /** The parts of the sentence no condition checks: deadlines, exemptions no field records. */
  not_enforced: z.array(z.string().min(1).max(1000)).max(20).default([]),
});

export type DraftRule = z.infer<typeof draftRuleSchema>;
export type Severity = DraftRule['severity'];
