import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { idParams } from '../platform/responses';
import { VERSION_STATUSES } from '../rules/kinds';
import { ruleView } from '../rules/schemas';

/** The largest policy file accepted (the platform body limit leaves room for the multipart envelope). */
export const MAX_POLICY_BYTES = 20 * 1024 * 1024;

const uploadedFile = z
  .custom<File>((value) => value instanceof File, {
    message: 'Attach the policy document as a file part named `file`.',
  })
  .openapi({ type: 'string', format: 'binary', description: 'PDF, DOCX, Markdown or plain text, at most 20 MB.' });

export const policyUploadForm = z
  .object({
    file: uploadedFile,
    name: z.string().trim().min(1).max(200),
    framework: z
      .string()
      .trim()
      .max(100)
      .optional()
      .openapi({ description: 'e.g. "BSA/AML", "GDPR"; blank means none.' }),
    policy_id: z
      .uuid()
      .optional()
      .openapi({ description: 'Upload a new version of this policy instead of a new policy.' }),
  })
  .openapi('PolicyUpload');

export const policyUploadView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    version: z.number().int(),
    status: z.string(),
    clauses: z.number().int().openapi({ description: 'Clauses in the uploaded version.' }),
    rules: z
      .number()
      .int()
      .openapi({ description: 'Draft rules extracted (for a new version: from its added and changed clauses only).' }),
  })
  .openapi('PolicyUploadResult');

export const clauseView = z
  .object({
    id: z.uuid(),
    key: z.string().openapi({ description: 'Stable across versions; what rules cite as `clause_ref`.' }),
    number: z.string(),
    heading: z.string().nullable(),
    text: z.string(),
    span_start: z.number().int().openapi({ description: 'Character offset of the clause in the version text.' }),
    span_end: z.number().int(),
    not_enforced: z
      .array(z.string())
      .openapi({ description: 'The obligations of the clause that no draft enforces, as sentences.' }),
  })
  .openapi('PolicyClause');

const versionChanges = z
  .object({
    previous_version: z.number().int(),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
  })
  .openapi('PolicyVersionChanges');

export const versionSummaryView = z
  .object({
    version: z.number().int(),
    file_name: z.string(),
    content_type: z.string(),
    format: z.enum(['pdf', 'docx', 'markdown', 'text']),
    size_bytes: z.number().int(),
    sha256: z.string(),
    extractor: z.string(),
    changes: versionChanges.nullable().openapi({
      description: 'Clause keys added, removed and changed against the previous version; null for version 1.',
    }),
    uploaded_by: z.uuid().nullable(),
    created_at: z.string(),
  })
  .openapi('PolicyVersionSummary');

export const policyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    framework: z.string().nullable(),
    version: z.number().int().openapi({ description: 'The current version.' }),
    status: z.string(),
    clause_count: z.number().int(),
    rules: z.object({
      draft: z.number().int().openapi({ description: 'Rules citing the policy whose latest version awaits review.' }),
      approved: z
        .number()
        .int()
        .openapi({ description: 'Rules citing the policy with an approved version in evaluation.' }),
    }),
    created_by: z.uuid().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Policy');

export const policyDetailView = policyView
  .extend({
    clauses: z.array(clauseView).openapi({ description: 'The clauses of the current version, in document order.' }),
    versions: z.array(versionSummaryView).openapi({ description: 'Every version, newest first.' }),
  })
  .openapi('PolicyDetail');

export const policyVersionView = versionSummaryView
  .extend({
    policy_id: z.uuid(),
    text: z.string().openapi({ description: 'The extracted text; each clause is `text.slice(span_start, span_end)`.' }),
    clauses: z.array(clauseView),
  })
  .openapi('PolicyVersion');

export const policyRuleView = ruleView
  .extend({
    source_text: z.string().nullable().openapi({ description: 'The sentence the rule was extracted from.' }),
    confidence: z.number().min(0).max(1).nullable(),
    reason: z.string().nullable().openapi({ description: 'What the extractor read and what it assumed.' }),
    policy_version: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The policy version it was extracted from; null for a rule written by hand.' }),
    assumptions: z.array(z.string()).openapi({
      description: "Each mapping from the policy's words to fields and stored values, as sentences.",
    }),
    not_enforced: z.array(z.string()).openapi({
      description: 'The parts of the clause no rule enforces (a reporting deadline, an exemption no field records).',
    }),
    grounding: z.enum(['grounded', 'partial', 'ungrounded']).nullable().openapi({
      description:
        "grounded: every value and key read was found in the organization's data; partial: some were not; ungrounded: no data yet. Null for a rule written by hand.",
    }),
    preview: z
      .object({
        transactions_checked: z.number().int(),
        hits: z.number().int(),
        examples: z.array(z.object({ transaction_id: z.string(), explanation: z.string() })),
      })
      .openapi({
        description: 'What this version flags on the stored history now (the backtest engine, nothing written).',
      }),
    flags: z.array(z.enum(['no_hits', 'high_share', 'ungrounded', 'unmatched'])).openapi({
      description:
        'For review: no hits on stored history, more than 10% of it flagged, drafted without data, or words that matched no stored value.',
    }),
  })
  .openapi('PolicyRule');

export const policyRulesQuery = pageQuery.extend({
  status: z.enum(VERSION_STATUSES).optional().openapi({ description: "Status of the rule's latest version." }),
});

const ruleRun = z
  .object({
    rule_id: z.uuid(),
    version: z.number().int(),
    status: z.enum(VERSION_STATUSES),
    name: z.string(),
    condition: z.unknown(),
    hits: z.number().int().openapi({ description: 'Transactions of the stored history this version flags.' }),
    sample_transaction_ids: z.array(z.string()).openapi({ description: 'Up to 10 of them, as pushed.' }),
  })
  .openapi('PolicyImpactRuleRun');

const clauseText = z.object({ key: z.string(), number: z.string(), heading: z.string().nullable(), text: z.string() });

export const impactView = z
  .object({
    policy_id: z.uuid(),
    version: z.number().int(),
    previous_version: z.number().int(),
    transactions_scanned: z.number().int(),
    clauses: z.object({
      added: z.array(clauseText),
      removed: z.array(clauseText),
      changed: z.array(z.object({ key: z.string(), number: z.string(), before: z.string(), after: z.string() })),
    }),
    rules: z.array(
      z.object({
        clause_key: z.string(),
        change: z.enum(['added', 'removed', 'changed']),
        before: ruleRun.nullable().openapi({
          description:
            'The rule citing the old clause (its approved version, else its latest); null for an added clause.',
        }),
        after: ruleRun.nullable().openapi({
          description:
            'The draft read from the new clause text; null for a removed clause or when the new text states no rule.',
        }),
      }),
    ),
  })
  .openapi('PolicyImpact');

export const versionParams = idParams.extend({ version: z.coerce.number().int().min(1).max(1_000_000) });

export const regroundView = z
  .object({
    drafts_checked: z.number().int().openapi({ description: 'Drafts that were ungrounded or partly grounded.' }),
    drafts_changed: z.number().int().openapi({ description: 'Of those, drafts that got a new draft version.' }),
    grounding: z.object({ grounded: z.number().int(), partial: z.number().int(), ungrounded: z.number().int() }),
  })
  .openapi('PolicyReground');

const counts = z.record(z.string(), z.number().int());

export const vocabularyView = z
  .object({
    values: z
      .array(z.object({ field: z.string(), value: z.string(), words: z.array(z.string()) }))
      .openapi({ description: 'Values of the rule vocabulary and the stored words each is matched with.' }),
    attributes: z
      .array(z.object({ field: z.string(), words: z.array(z.string()) }))
      .openapi({ description: 'Attribute keys of the rule vocabulary and the other names they are matched with.' }),
    data: z.object({
      transactions: z.number().int().openapi({ description: 'Transactions looked at (the newest 50,000 at most).' }),
      values: z.object({
        type: counts,
        channel: counts,
        currency: counts,
        country: counts,
        counterparty_country: counts,
      }),
      attributes: z.array(z.object({ key: z.string(), count: z.number().int() })),
      mapped: z.record(z.string(), z.array(z.string())).openapi({
        description: "Canonical values the organization's sources map onto.",
      }),
    }),
  })
  .openapi('PolicyVocabulary');
