import { describe, expect, it } from 'vitest';
import { splitClauses } from '../worker/policies/extraction/clauses';
import {
  type AiBinding,
  extractDraftRulesWithLlm,
  llmExtractorSettings,
} from '../worker/policies/extraction/llm-extractor';

const MODEL = '@cf/meta/llama-3.3-70b-instruct-fp8-fast';
const clauses = splitClauses(
  '3.1 Any cash transaction exceeding USD 10,000 must be reported.\n\n3.2 Wire transfers to Iran are prohibited.',
);

const cashRule = {
  name: 'Cash over USD 10,000',
  description: 'Cash transactions above the reporting threshold.',
  severity: 'high',
  condition: {
    all: [
      { field: 'type', op: 'eq', value: 'cash' },
      { field: 'amount', op: 'gt', value: 10000 },
    ],
  },
  clause_ref: '3.1',
  source_text: 'Any cash transaction exceeding USD 10,000 must be reported.',
  confidence: 0.9,
  reason: 'threshold in the sentence',
};

/** Workers AI cannot run offline: this stands in for `env.AI`, answering every call with canned output. */
function fakeAi(response: unknown): AiBinding & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    async run(model, inputs) {
      calls.push({ model, inputs });
      return { response };
    },
  };
}

describe('happy', () => {
  it('is off unless both the AI binding and a model are configured', () => {
    const ai = fakeAi('{}');
    expect(llmExtractorSettings({})).toBeUndefined();
    expect(llmExtractorSettings({ AI: ai })).toBeUndefined();
    expect(llmExtractorSettings({ POLICY_LLM_MODEL: MODEL })).toBeUndefined();
    expect(llmExtractorSettings({ AI: ai, POLICY_LLM_MODEL: MODEL })).toEqual({ ai, model: MODEL });
  });

  it('returns the validated drafts the model proposes, citing their clauses and naming the model', async () => {
    const ai = fakeAi(JSON.stringify({ rules: [cashRule] }));
    const result = await extractDraftRulesWithLlm(ai, MODEL, clauses);
    expect(result).toEqual({
      // A model that states no assumptions gets empty lists: grounding adds the mappings to stored values.
      drafts: [
        { ...cashRule, reason: `Proposed by ${MODEL}: threshold in the sentence`, assumptions: [], not_enforced: [] },
      ],
      rejected: 0,
    });
    expect(ai.calls).toHaveLength(1);
    expect(ai.calls[0]).toMatchObject({ model: MODEL, inputs: { response_format: { type: 'json_object' } } });
  });

  it('accepts JSON mode answers that are already objects, and fenced JSON', async () => {
    expect((await extractDraftRulesWithLlm(fakeAi({ rules: [cashRule] }), MODEL, clauses)).drafts).toHaveLength(1);
    const fenced = `\`\`\`json\n${JSON.stringify({ rules: [cashRule] })}\n\`\`\``;
    expect((await extractDraftRulesWithLlm(fakeAi(fenced), MODEL, clauses)).drafts).toHaveLength(1);
  });
});

describe('errors', () => {
  it('drops proposals outside the rule language, citing unknown clauses or quoting text the clause lacks', async () => {
    const proposals = [
      { ...cashRule, condition: { field: 'amount', op: 'bigger', value: 1 } },
      { ...cashRule, condition: { field: 'salary', op: 'gt', value: 1 } },
      {
        ...cashRule,
        condition: { aggregate: { fn: 'count', group_by: ['account'], window: '400d' }, op: 'gt', value: 1 },
      },
      { ...cashRule, severity: 'urgent' },
      { ...cashRule, confidence: 1.5 },
      { ...cashRule, clause_ref: '9.9' },
      { ...cashRule, source_text: 'Cash is king.' },
      'not a rule',
      cashRule,
    ];
    const result = await extractDraftRulesWithLlm(fakeAi(JSON.stringify({ rules: proposals })), MODEL, clauses);
    expect(result.drafts.map((draft) => draft.clause_ref)).toEqual(['3.1']);
    expect(result.rejected).toBe(8);
  });

  it('counts an unparseable answer as rejected rather than failing the upload', async () => {
    expect(await extractDraftRulesWithLlm(fakeAi('Sure! Here are the rules:'), MODEL, clauses)).toEqual({
      drafts: [],
      rejected: 1,
    });
  });
});
