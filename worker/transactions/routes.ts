import { withTenant } from '../../db/tenant';
import { ApiError } from '../platform/errors';
import { createRouter, defineRoute } from '../platform/openapi';
import { pageOf, toPage } from '../platform/pagination';
import { jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { withAnomalyFactors } from '../risk/explanations';
import type { SourceMapping } from '../sources/mapping';
import { findSource } from '../sources/service';
import { readingErrorsAsProblems, uploadFormat, uploadRecords } from './body';
import { recordValidator } from './intake';
import { planAllowance, usageMeter } from './metering';
import {
  listQuery,
  transactionDetailView,
  transactionIdParam,
  transactionInput,
  transactionView,
  uploadBody,
  uploadQuery,
  uploadReportView,
} from './schemas';
import { findTransaction, listTransactions, toTransactionView, violationsOf } from './store';
import { ingestRecords } from './upload';

export const transactionsRoutes = createRouter();
// Referenced by the upload's and the push's documented bodies (schemas.ts).
transactionsRoutes.openAPIRegistry.register('TransactionInput', transactionInput);

const upload = defineRoute(
  { permission: 'transactions:ingest' },
  {
    method: 'post',
    path: '/',
    tags: ['transactions'],
    summary: 'Upload transactions: JSON array, NDJSON or CSV (streamed)',
    description:
      'Body: `application/json` (an array of at most 10,000), `application/x-ndjson` or `text/csv` with a header row, ' +
      "up to 100 MB. With `source_id` the rows are read through that source's mapping. Uploads are not evaluated in real time: run a scan.",
    request: { query: uploadQuery, body: uploadBody },
    responses: {
      200: jsonResponse(uploadReportView, 'What happened to each row'),
      ...problemResponses,
      400: problemOf('Malformed body, failed validation, or a file with no rows'),
      402: problemOf('Plan limit reached before any row could be stored'),
      413: problemOf('Body over 100 MB, or a JSON array over 10,000 rows'),
      415: problemOf('Unsupported content type'),
      503: problemOf('The database failed mid-file; says how many rows were committed'),
    },
  },
);
transactionsRoutes.openapi(upload, async (c) => {
  const { orgId } = c.var.caller;
  const format = uploadFormat(c.req.header('content-type'));
  const body = c.req.raw.body;
  if (!body) throw emptyFile();
  const sourceId = c.req.valid('query').source_id;
  const { allowance, mapping } = await withTenant(c.var.database(), orgId, async (tx) => ({
    allowance: await planAllowance(tx, orgId),
    mapping: sourceId === undefined ? undefined : ((await findSource(tx, sourceId)).mapping as SourceMapping),
  }));
  const records = await uploadRecords(format, body, mapping);
  const report = await ingestRecords(
    { db: c.var.database(), orgId, sourceId: sourceId ?? null, meter: usageMeter(c.env, orgId, allowance) },
    readingErrorsAsProblems(records),
    recordValidator(mapping),
  );
  if (report.accepted + report.duplicates + report.rejected === 0) throw emptyFile();
  return c.json(report, 200);
});

/** Nothing to store is a mistake worth saying, not a report of zeros. */
const emptyFile = () => new ApiError('bad_request', 'The file has no rows.');

const list = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/',
    tags: ['transactions'],
    summary: 'Browse transactions, newest first',
    request: { query: listQuery },
    responses: { 200: jsonResponse(pageOf(transactionView), 'A page of transactions'), ...problemResponses },
  },
);
transactionsRoutes.openapi(list, async (c) => {
  const { orgId } = c.var.caller;
  const query = c.req.valid('query');
  const rows = await withTenant(c.var.database(), orgId, async (tx) =>
    withAnomalyFactors(
      tx,
      await listTransactions(
        tx,
        {
          account: query.account,
          type: query.type,
          from: query.from,
          to: query.to,
          minAmount: query.min_amount,
          maxAmount: query.max_amount,
        },
        query.cursor,
        query.limit,
      ),
    ),
  );
  return c.json(
    toPage(rows, query.limit, toTransactionView, (row) => [row.occurredAt, row.id]),
    200,
  );
});

const getOne = defineRoute(
  { permission: 'data:read' },
  {
    method: 'get',
    path: '/{id}',
    tags: ['transactions'],
    summary: 'One transaction (by the id as pushed, URL-encoded) with its violations',
    request: { params: transactionIdParam },
    responses: { 200: jsonResponse(transactionDetailView, 'The transaction'), ...problemResponses },
  },
);
transactionsRoutes.openapi(getOne, async (c) => {
  const { orgId } = c.var.caller;
  const detail = await withTenant(c.var.database(), orgId, async (tx) => {
    const found = await findTransaction(tx, c.req.valid('param').id);
    if (!found) throw new ApiError('not_found', 'Transaction was not found.');
    const [row] = await withAnomalyFactors(tx, [found]);
    return {
      ...toTransactionView(row!),
      violations: (await violationsOf(tx, row!.internalId)).map((v) => ({
        id: v.id,
        rule_id: v.ruleId,
        rule_version: v.ruleVersion,
        severity: v.severity,
        risk_score: Number(v.riskScore),
        explanation: v.explanation,
        evidence: v.evidence,
        status: v.status,
        detected_at: v.detectedAt.toISOString(),
      })),
    };
  });
  return c.json(detail, 200);
});
