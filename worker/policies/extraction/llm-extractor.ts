import { z } from 'zod';
import type { Clause } from './clauses';
import { type DraftRule, draftRuleSchema } from './schemas';

/** The part of the Workers AI binding (`env.AI`) the extractor calls; tests pass a fake with canned output. */
export interface AiBinding {
  run(
    model: string,
    inputs: { messages: { role: 'system' | 'user'; content: string }[]; response_format: { type: 'json_object' } },
  ): Promise<unknown>;
}

/** LLM extraction is off unless the Worker has an AI binding and `POLICY_LLM_MODEL` names a model. */
export function llmExtractorSettings(env: {
  AI?: AiBinding;
  POLICY_LLM_MODEL?: string;
}): { ai: AiBinding; model: string } | undefined {
  return env.AI && env.POLICY_LLM_MODEL ? { ai: env.AI, model: env.POLICY_LLM_MODEL } : undefined;
}

interface LlmExtraction {
  /** Drafts like the deterministic extractor's: they enter review like every draft, never evaluation. */
  drafts: DraftRule[];
  /** Proposals dropped: not the draft shape, citing an unknown clause, or quoting text the clause does not contain. */
  rejected: number;
}

/** Characters of clause text per model call, well inside the context of the small instruct models. */
const BATCH_CHARACTERS = 12_000;

const SYSTEM_PROMPT = `You turn compliance policy clauses into draft monitoring rules for financial transactions.
Answer with one JSON object {"rules": [...]}; each rule is
{"name": short title, "description": one sentence, "severity": "low"|"medium"|"high"|"critical",
 "condition": condition, "clause_ref": the clause key in brackets, "source_text": the exact sentence quoted from that clause,
 "confidence": 0 to 1, "reason": what you read and what you assumed,
 "assumptions": [each mapping from the clause's words to a field and value, as a sentence],
 "not_enforced": [each part of the sentence the condition does not check, e.g. a reporting deadline]}.
A rule describes the VIOLATION: "must not exceed 5,000" is {"field":"amount","op":"gt","value":5000}.
A condition is {"all":[...]}, {"any":[...]}, {"not":c}, {"field":F,"op":OP,"value":V}, {"field":F,"op":OP,"other_field":F2},
or {"aggregate":{"fn":"count"|"sum"|"avg"|"min"|"max"|"count_distinct","field"?:F,"group_by":[F],"window":"24h"|"7d"|...,"where"?:c},"op":OP,"value":number}.
Fields F: amount, currency, account, counterparty, type, country, counterparty_country (ISO 3166 alpha-2), channel, occurred_at, attributes.<key>.
OP: eq, ne, gt, gte, lt, lte, in, not_in, between ([low, high]), contains, starts_with, ends_with, exists, missing.
Only propose rules a transaction record can show; return {"rules": []} when a clause states none.
A deadline for an action ("report within one business day") is not a time window: list it in not_enforced.
A total ("totalling more than 10,000 within 24 hours") is a sum aggregate over the window, not a per-transaction band.`;

const responseSchema = z.object({ rules: z.array(z.unknown()) });

/** Proposes draft rules with a Workers AI model; every proposal is validated and checked against its clause. */
export async function extractDraftRulesWithLlm(
  ai: AiBinding,
  model: string,
  clauses: Pick<Clause, 'key' | 'text'>[],
): Promise<LlmExtraction> {
  const result: LlmExtraction = { drafts: [], rejected: 0 };
  for (const batch of batches(clauses)) {
    const output = await ai.run(model, {
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: batch.map((clause) => `[${clause.key}] ${clause.text}`).join('\n\n') },
      ],
      response_format: { type: 'json_object' },
    });
    const proposals = responseSchema.safeParse(responseJson(output));
    if (!proposals.success) {
      result.rejected += 1;
      continue;
    }
    for (const proposal of proposals.data.rules) {
      const draft = citedDraft(proposal, batch, model);
      if (draft) result.drafts.push(draft);
      else result.rejected += 1;
    }
  }
  return result;
}

function batches(clauses: Pick<Clause, 'key' | 'text'>[]): Pick<Clause, 'key' | 'text'>[][] {
  const groups: Pick<Clause, 'key' | 'text'>[][] = [];
  let size = Number.POSITIVE_INFINITY;
  for (const clause of clauses) {
    if (size + clause.text.length > BATCH_CHARACTERS) {
      groups.push([]);
      size = 0;
    }
    groups.at(-1)?.push(clause);
    size += clause.text.length;
  }
  return groups;
}

/** Workers AI returns `{response}`: a string, or already an object in JSON mode; models sometimes fence their JSON. */
function responseJson(output: unknown): unknown {
  const response = typeof output === 'object' && output !== null && 'response' in output ? output.response : output;
  if (typeof response !== 'string') return response;
  try {
    return JSON.parse(response.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''));
  } catch {
    return undefined;
  }
}

/** A valid draft that cites a clause of the batch and quotes a sentence that clause really contains. */
function citedDraft(proposal: unknown, batch: Pick<Clause, 'key' | 'text'>[], model: string): DraftRule | undefined {
  const parsed = draftRuleSchema.safeParse(proposal);
  if (!parsed.success) return undefined;
  const clause = batch.find((candidate) => candidate.key === parsed.data.clause_ref);
  if (!clause || !squash(clause.text).includes(squash(parsed.data.source_text))) return undefined;
  return { ...parsed.data, reason: `Proposed by ${model}: ${parsed.data.reason}`.slice(0, 2000) };
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
