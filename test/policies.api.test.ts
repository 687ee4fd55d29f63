import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { policies } from '../db/schema';
import { withTenant } from '../db/tenant';
import aml from '../docs/corpus/aml-cash-policy.md?raw';
import { uploadPolicy } from '../worker/policies/upload';
import {
  addMember,
  api,
  apiJson,
  expectProblem,
  type Problem,
  registerOrganization,
  type Session,
  setPlan,
  withDatabase,
} from './helpers';
import {
  docxOf,
  encryptedPdf,
  imageOnlyPdf,
  passwordProtectedDocx,
  pdfOf,
  postPolicy,
  uploadPolicyJson,
} from './policies.api.fixtures';
import { countRows, insertTransactions, listAllViolations, waitForScan } from './rules-fixtures';

const MB = 1024 * 1024;
const SHORT_POLICY =
  '1. Cash\n\n1.1 Any cash transaction exceeding USD 10,000 must be reported.\n\n1.2 Staff must complete training every year.';

let org: Session;
let uploaded: Awaited<ReturnType<typeof uploadPolicyJson>>;

beforeAll(async () => {
  org = await registerOrganization('Policies API Org');
  await setPlan(org.organization.id, 'enterprise');
  uploaded = await uploadPolicyJson(org.access_token, {
    file: aml,
    fileName: 'aml-cash-policy.md',
    type: 'text/markdown',
    framework: 'BSA/AML',
  });
});

async function storedObjects(orgId: string): Promise<R2Object[]> {
  return (await env.POLICY_FILES.list({ prefix: `orgs/${orgId}/`, include: ['customMetadata'] })).objects;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

async function policyCount(orgId: string): Promise<number> {
  const [row] = await withDatabase((db) =>
    withTenant(db, orgId, (tx) => tx.execute<{ n: number }>(sql`select count(*)::int as n from ${policies}`)),
  );
  return row!.n;
}

async function allPolicyRules(token: string, policyId: string) {
  const page = await apiJson('GET', `/api/policies/${policyId}/rules?limit=200`, 200, { token });
  return page.items;
}

describe('happy', () => {
  it('uploads the AML policy as Markdown: its clauses and the draft rules extracted', async () => {
    expect(uploaded).toEqual({
      id: expect.any(String),
      name: 'AML and Cash Handling',
      version: 1,
      status: 'active',
      clauses: 29,
      rules: 8,
    });
    expect(
      await countRows(org.organization.id, 'audit_log', sql`action = 'policy.uploaded' and target_id = ${uploaded.id}`),
    ).toBe(1);
  });

  it('shows the clauses of the current version, each the slice of the version text at its span', async () => {
    const policy = await apiJson('GET', `/api/policies/${uploaded.id}`, 200, { token: org.access_token });
    expect(policy).toMatchObject({
      id: uploaded.id,
      name: 'AML and Cash Handling',
      framework: 'BSA/AML',
      version: 1,
      clause_count: 29,
      rules: { draft: 8, approved: 0 },
    });
    expect(policy.clauses).toHaveLength(29);
    const version = await apiJson('GET', `/api/policies/${uploaded.id}/versions/1`, 200, { token: org.access_token });
    expect(version).toMatchObject({
      policy_id: uploaded.id,
      version: 1,
      file_name: 'aml-cash-policy.md',
      format: 'markdown',
      content_type: 'text/markdown',
      changes: null,
      extractor: 'deterministic',
    });
    expect(version.clauses).toEqual(policy.clauses);
    for (const clause of policy.clauses)
      expect(version.text.slice(clause.span_start, clause.span_end)).toBe(clause.text);
    const clause31 = policy.clauses.find((clause) => clause.key === '3.1');
    expect(clause31).toEqual({
      id: expect.any(String),
      key: '3.1',
      number: '3.1',
      heading: null,
      span_start: expect.any(Number),
      span_end: expect.any(Number),
      text: 'Any cash transaction exceeding USD 10,000 must be reported to the Financial Intelligence Unit through a Currency Transaction Report within 15 days.',
      not_enforced: ['The deadline "within 15 days": the action it sets happens outside the transaction data.'],
    });
    expect(policy.clauses.find((clause) => clause.key === '3')).toMatchObject({
      number: '3',
      heading: 'Currency transaction reporting',
    });
    expect(policy.versions).toEqual([
      expect.objectContaining({ version: 1, size_bytes: new TextEncoder().encode(aml).byteLength }),
    ]);
  });

  it('lists the draft rules with the clause and sentence each came from, in document order', async () => {
    const rules = await allPolicyRules(org.access_token, uploaded.id);
    expect(rules.map((rule) => rule.clause_ref)).toEqual(['3.1', '3.2', '4.1', '5.1', '5.2', '6.1', '6.2', '6.3']);
    expect(rules[0]).toMatchObject({
      name: 'Cash transactions over USD 10,000',
      severity: 'high',
      status: 'draft',
      version: 1,
      policy_id: uploaded.id,
      policy_version: 1,
      condition: {
        all: [
          { field: 'type', op: 'eq', value: 'cash' },
          { field: 'currency', op: 'eq', value: 'USD' },
          { field: 'amount', op: 'gt', value: 10000 },
        ],
      },
      source_text:
        'Any cash transaction exceeding USD 10,000 must be reported to the Financial Intelligence Unit through a Currency Transaction Report within 15 days.',
      confidence: 0.95,
      reason: expect.stringContaining('exceeding USD 10,000'),
    });
    for (const rule of rules) expect(rule.confidence).toBeGreaterThan(0);
    const firstPage = await apiJson('GET', `/api/policies/${uploaded.id}/rules?limit=3`, 200, {
      token: org.access_token,
    });
    const secondPage = await apiJson(
      'GET',
      `/api/policies/${uploaded.id}/rules?limit=200&cursor=${firstPage.next_cursor}`,
      200,
      { token: org.access_token },
    );
    expect([...firstPage.items, ...secondPage.items].map((rule) => rule.id)).toEqual(rules.map((rule) => rule.id));
    expect(secondPage.next_cursor).toBeNull();
  });

  it('an approved draft enters scans, and its violations cite the policy and clause', async () => {
    const [cashRule] = await allPolicyRules(org.access_token, uploaded.id);
    await apiJson('POST', `/api/rules/${cashRule!.id}/approve`, 200, { token: org.access_token, body: {} });
    await insertTransactions(org.organization.id, [
      { id: 'CASH-BIG', occurred_at: '2026-03-01T10:00:00Z', amount: '12000.00', type: 'cash', account: 'ACC-1' },
      { id: 'CASH-SMALL', occurred_at: '2026-03-02T10:00:00Z', amount: '800.00', type: 'cash', account: 'ACC-2' },
    ]);
    const queued = await apiJson('POST', '/api/scans', 202, {
      token: org.access_token,
      body: { rule_ids: [cashRule!.id] },
    });
    expect(await waitForScan(org.access_token, queued.id)).toMatchObject({ status: 'completed', violations_found: 1 });
    const [violation] = await listAllViolations(org.access_token, `&scan_id=${queued.id}`);
    expect(violation).toMatchObject({
      rule_id: cashRule!.id,
      transaction_id: 'CASH-BIG',
      policy_id: uploaded.id,
      clause_ref: '3.1',
    });
    const policy = await apiJson('GET', `/api/policies/${uploaded.id}`, 200, { token: org.access_token });
    expect(policy.rules).toEqual({ draft: 7, approved: 1 });
  });

  it('keeps the original bytes in R2 with their sha256 and serves them back', async () => {
    const bytes = new TextEncoder().encode(aml);
    const [object] = (await storedObjects(org.organization.id)).filter((o) => o.key.includes(uploaded.id));
    const sha256 = await sha256Hex(bytes);
    expect(object).toMatchObject({
      key: `orgs/${org.organization.id}/policies/${uploaded.id}/v1/${sha256}`,
      size: bytes.byteLength,
      customMetadata: { sha256 },
    });
    const response = await api('GET', `/api/policies/${uploaded.id}/versions/1/file`, { token: org.access_token });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/markdown');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="aml-cash-policy.md"; filename*=UTF-8''aml-cash-policy.md`,
    );
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it('uploads a PDF and a DOCX', async () => {
    const pdf = await uploadPolicyJson(org.access_token, {
      file: await pdfOf(SHORT_POLICY),
      fileName: 'cash.pdf',
      type: 'application/pdf',
      name: 'Cash (PDF)',
    });
    expect(pdf).toMatchObject({ version: 1, clauses: 3, rules: 1 });
    const docx = await uploadPolicyJson(org.access_token, {
      file: docxOf(SHORT_POLICY),
      fileName: 'Cash policy – 2026.docx',
      name: 'Cash (DOCX)',
    });
    expect(docx).toMatchObject({ version: 1, clauses: 3, rules: 1 });
    const [rule] = await allPolicyRules(org.access_token, docx.id);
    expect(rule).toMatchObject({
      clause_ref: '1.1',
      source_text: 'Any cash transaction exceeding USD 10,000 must be reported.',
    });
    const version = await apiJson('GET', `/api/policies/${pdf.id}/versions/1`, 200, { token: org.access_token });
    expect(version).toMatchObject({ format: 'pdf', content_type: 'application/pdf' });
    const file = await api('GET', `/api/policies/${docx.id}/versions/1/file`, { token: org.access_token });
    expect(file.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="Cash policy _ 2026.docx"; filename*=UTF-8''${encodeURIComponent('Cash policy – 2026.docx')}`,
    );
  });

  it('lists policies newest first with counts, a page at a time', async () => {
    const first = await apiJson('GET', '/api/policies?limit=2', 200, { token: org.access_token });
    expect(first.items.map((p) => p.name)).toEqual(['Cash (DOCX)', 'Cash (PDF)']);
    const rest = await apiJson('GET', `/api/policies?limit=2&cursor=${first.next_cursor}`, 200, {
      token: org.access_token,
    });
    expect(rest).toEqual({
      items: [
        expect.objectContaining({ id: uploaded.id, clause_count: 29, rules: { draft: 7, approved: 1 }, version: 1 }),
      ],
      next_cursor: null,
    });
  });

  it('uses the LLM extractor when configured, and the deterministic one when the model fails', async () => {
    const proposal = {
      name: 'Cash over USD 10,000',
      description: 'Cash above the threshold.',
      severity: 'critical',
      clause_ref: '1.1',
      condition: { field: 'amount', op: 'gt', value: 10000 },
      source_text: 'Any cash transaction exceeding USD 10,000 must be reported.',
      confidence: 0.8,
      reason: 'threshold',
    };
    const actor = { orgId: org.organization.id, userId: org.user.id, origin: { ip: null, userAgent: 'test' } };
    const upload = (run: () => Promise<unknown>) =>
      withDatabase((db) =>
        uploadPolicy({ ...env, AI: { run }, POLICY_LLM_MODEL: 'test-model' }, db, actor, {
          file: new File([SHORT_POLICY], 'llm.md', { type: 'text/markdown' }),
          name: 'LLM read',
        }),
      );
    const byModel = await upload(async () => ({ response: JSON.stringify({ rules: [proposal] }) }));
    const [rule] = await allPolicyRules(org.access_token, byModel.id);
    expect(rule).toMatchObject({
      severity: 'critical',
      status: 'draft',
      confidence: 0.8,
      reason: 'Proposed by test-model: threshold',
    });
    expect(
      await apiJson('GET', `/api/policies/${byModel.id}/versions/1`, 200, { token: org.access_token }),
    ).toMatchObject({ extractor: 'llm:test-model' });

    const fallback = await upload(async () => {
      throw new Error('model unavailable');
    });
    expect(
      await apiJson('GET', `/api/policies/${fallback.id}/versions/1`, 200, { token: org.access_token }),
    ).toMatchObject({ extractor: 'deterministic' });
    expect((await allPolicyRules(org.access_token, fallback.id))[0]).toMatchObject({
      severity: 'high',
      clause_ref: '1.1',
    });
  });
});

describe('errors', () => {
  let errorsOrg: Session;
  beforeAll(async () => {
    errorsOrg = await registerOrganization('Policies Errors Org');
    await setPlan(errorsOrg.organization.id, 'enterprise');
  });

  async function expectRefused(response: Response, status: number, detail: RegExp, reason?: string) {
    const body = await expectProblem(response, status);
    expect(body.detail).toMatch(detail);
    if (reason) expect(body.reason).toBe(reason);
  }

  it('refuses a body that is not multipart with 415', async () => {
    const response = await api('POST', '/api/policies', {
      token: errorsOrg.access_token,
      body: { name: 'x', file: 'x' },
    });
    expect(response.status).toBe(415);
  });

  it('refuses a file type it cannot read with 415', async () => {
    await expectRefused(
      await postPolicy(errorsOrg.access_token, {
        file: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
        fileName: 'scan.png',
        type: 'image/png',
      }),
      415,
      /PNG image/,
      'unsupported',
    );
    await expectRefused(
      await postPolicy(errorsOrg.access_token, { file: 'a,b\n1,2', fileName: 'data.csv', type: 'text/csv' }),
      415,
      /not supported/,
      'unsupported',
    );
  });

  it('refuses a file over 20 MB with 413', async () => {
    const tooBig = new Uint8Array(20 * MB + 1).fill(0x61);
    await expectRefused(
      await postPolicy(errorsOrg.access_token, { file: tooBig, fileName: 'huge.txt', type: 'text/plain' }),
      413,
      /at most 20 MB/,
    );
    const response = await postPolicy(errorsOrg.access_token, {
      file: new Uint8Array(21 * MB).fill(0x61),
      fileName: 'huger.txt',
    });
    expect(response.status).toBe(413);
  });

  it('refuses corrupt, encrypted and image-only files with 422 and the reason', async () => {
    await expectRefused(
      await postPolicy(errorsOrg.access_token, {
        file: (await pdfOf(SHORT_POLICY)).slice(0, 300),
        fileName: 'cut.pdf',
      }),
      422,
      /damaged/,
      'corrupt',
    );
    await expectRefused(
      await postPolicy(errorsOrg.access_token, { file: await encryptedPdf(), fileName: 'secret.pdf' }),
      422,
      /password-protected/,
      'encrypted',
    );
    await expectRefused(
      await postPolicy(errorsOrg.access_token, { file: passwordProtectedDocx(), fileName: 'secret.docx' }),
      422,
      /password-protected/,
      'encrypted',
    );
    await expectRefused(
      await postPolicy(errorsOrg.access_token, { file: await imageOnlyPdf(), fileName: 'scan.pdf' }),
      422,
      /no text layer/,
      'no_text_layer',
    );
  });

  it('stores nothing for a refused file', async () => {
    expect(await policyCount(errorsOrg.organization.id)).toBe(0);
    expect(await storedObjects(errorsOrg.organization.id)).toEqual([]);
  });

  it('removes the stored file again when the database step fails', async () => {
    const ghost = {
      orgId: errorsOrg.organization.id,
      userId: crypto.randomUUID(),
      origin: { ip: null, userAgent: 'test' },
    };
    const upload = withDatabase((db) =>
      uploadPolicy(env, db, ghost, { file: new File([SHORT_POLICY], 'p.md'), name: 'Orphan' }),
    );
    // The uploader is no user of the organization, so the insert fails after the file was put.
    await expect(upload).rejects.toThrow();
    expect(await storedObjects(errorsOrg.organization.id)).toEqual([]);
    expect(await policyCount(errorsOrg.organization.id)).toBe(0);
  });

  it('validates the form fields', async () => {
    const form = new FormData();
    form.append('name', 'No file');
    form.append('file', 'just a string');
    const response = await api('POST', '/api/policies', { token: errorsOrg.access_token, rawBody: form });
    const body = await response.json<Problem>();
    expect(response.status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ path: 'form.file' })]);
    const unnamed = await postPolicy(errorsOrg.access_token, { file: SHORT_POLICY, fileName: 'p.md', name: '  ' });
    expect(unnamed.status).toBe(400);
  });

  it('a second policy on the basic plan is a 402 with the limit; a new version of the first is not', async () => {
    const basic = await registerOrganization('Policies Basic Org');
    const first = await uploadPolicyJson(basic.access_token, { file: SHORT_POLICY, fileName: 'p.md', name: 'First' });
    const response = await postPolicy(basic.access_token, { file: SHORT_POLICY, fileName: 'q.md', name: 'Second' });
    const body = await response.json<Problem>();
    expect(response.status).toBe(402);
    expect(body).toMatchObject({ status: 402, limit: 1, used: 1, plan: 'basic' });
    expect(await storedObjects(basic.organization.id)).toHaveLength(1);
    const next = await uploadPolicyJson(basic.access_token, {
      file: `${SHORT_POLICY}\n\n1.3 Wire transfers to Iran are prohibited.`,
      fileName: 'p2.md',
      name: 'First',
      policy_id: first.id,
    });
    expect(next).toMatchObject({ id: first.id, version: 2, clauses: 4, rules: 1 });
  });

  it('an unknown version or policy is a 404; a policy with one version has no impact report (409)', async () => {
    expect((await api('GET', `/api/policies/${uploaded.id}/versions/2`, { token: org.access_token })).status).toBe(404);
    expect((await api('GET', `/api/policies/${crypto.randomUUID()}`, { token: org.access_token })).status).toBe(404);
    expect((await api('GET', '/api/policies/not-a-uuid', { token: org.access_token })).status).toBe(400);
    const impact = await api('GET', `/api/policies/${uploaded.id}/impact`, { token: org.access_token });
    expect(impact.status).toBe(409);
    expect((await impact.json<Problem>()).detail).toMatch(/single version/);
  });
});

describe('security', () => {
  it("another organization's policy is a 404 everywhere, and its policies are not listed", async () => {
    const other = await registerOrganization('Policies Other Org');
    for (const path of ['', '/versions/1', '/versions/1/file', '/rules', '/impact']) {
      const response = await api('GET', `/api/policies/${uploaded.id}${path}`, { token: other.access_token });
      expect(response.status, path).toBe(404);
    }
    expect((await apiJson('GET', '/api/policies', 200, { token: other.access_token })).items).toEqual([]);
    const response = await postPolicy(other.access_token, {
      file: SHORT_POLICY,
      fileName: 'p.md',
      policy_id: uploaded.id,
    });
    expect(response.status).toBe(404);
    expect(await storedObjects(other.organization.id)).toEqual([]);
  });

  it('a viewer can read policies but not upload one; a reviewer cannot upload either', async () => {
    const viewer = await addMember(org, 'viewer');
    const reviewer = await addMember(org, 'reviewer');
    expect((await postPolicy(viewer.token, { file: SHORT_POLICY, fileName: 'p.md' })).status).toBe(403);
    expect((await postPolicy(reviewer.token, { file: SHORT_POLICY, fileName: 'p.md' })).status).toBe(403);
    expect((await api('GET', `/api/policies/${uploaded.id}`, { token: viewer.token })).status).toBe(200);
    expect((await api('GET', `/api/policies/${uploaded.id}/versions/1/file`, { token: viewer.token })).status).toBe(
      200,
    );
  });

  it('an analyst can upload', async () => {
    const analyst = await addMember(org, 'compliance_analyst');
    expect(
      (await postPolicy(analyst.token, { file: SHORT_POLICY, fileName: 'analyst.md', name: 'By the analyst' })).status,
    ).toBe(201);
  });

  it('needs a bearer token', async () => {
    expect((await postPolicy('', { file: SHORT_POLICY, fileName: 'p.md' })).status).toBe(401);
    expect((await api('GET', '/api/policies')).status).toBe(401);
  });
});
