import { z } from '@hono/zod-openapi';
import { sourceMapping } from '../sources/mapping';
import { previewView } from '../sources/schemas';

export const CONNECTOR_TYPES = ['postgres', 'mysql', 'rest'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

const SCHEDULE = /^every ([1-9][0-9]{0,3})(m|h)$/;

/** `every 5m` ... `every 24h` in minutes, or undefined when it is not one. */
export function scheduleMinutes(schedule: string): number | undefined {
  const match = SCHEDULE.exec(schedule);
  if (!match) return undefined;
  const minutes = Number(match[1]) * (match[2] === 'h' ? 60 : 1);
  return minutes >= 5 && minutes <= 24 * 60 ? minutes : undefined;
}

export const schedule = z
  .string()
  .refine(
    (value) => scheduleMinutes(value) !== undefined,
    'must be "every <n>m" or "every <n>h", from every 5m to every 24h',
  )
  .nullable()
  .openapi({ example: 'every 15m' });

/** A database query: `:cursor` (NULL on the first run) and `:limit` stand for the cursor and the page size. */
export const sqlConfig = z.strictObject({
  url: z.string().min(1).max(2048).openapi({ description: 'postgres://user:password@host:5432/db; stored encrypted' }),
  query: z
    .string()
    .min(1)
    .max(10_000)
    .refine((q) => /(?<![:\w]):cursor\b/.test(q) && /(?<![:\w]):limit\b/.test(q), 'must use :cursor and :limit'),
  cursor_column: z.string().min(1).max(128),
  page_size: z.number().int().min(1).max(5000).optional(),
});
export type SqlConfig = Omit<z.infer<typeof sqlConfig>, 'url'>;

export const restConfig = z.strictObject({
  url: z.string().min(1).max(2048).openapi({ description: 'https://erp.example.com/api/payments; stored encrypted' }),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), z.string().max(4096))
    .optional()
    .openapi({ description: 'e.g. Authorization; stored encrypted, never shown again' }),
  items_path: z.string().min(1).max(256),
  cursor_param: z.string().min(1).max(128),
  next_page_path: z.string().min(1).max(256).optional(),
});
export type RestConfig = Omit<z.infer<typeof restConfig>, 'url' | 'headers'>;

const connectorFields = {
  name: z.string().trim().min(1).max(200),
  mapping: sourceMapping.optional(),
  schedule: schedule.optional(),
};

export const createConnectorBody = z
  .discriminatedUnion('type', [
    z.object({ ...connectorFields, type: z.literal('postgres'), config: sqlConfig }),
    z.object({ ...connectorFields, type: z.literal('mysql'), config: sqlConfig }),
    z.object({ ...connectorFields, type: z.literal('rest'), config: restConfig }),
  ])
  .openapi('CreateConnectorRequest');

export const updateConnectorBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    mapping: sourceMapping.optional(),
    schedule: schedule.optional(),
    is_active: z.boolean().optional(),
    config: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'The whole config of the connector type again, URL and headers included' }),
  })
  .openapi('UpdateConnectorRequest');

export const connectorView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(CONNECTOR_TYPES),
    config: z.record(z.string(), z.unknown()).openapi({
      description: 'Without secrets: the URL without its credentials (`url_display`), header names only',
    }),
    mapping: sourceMapping,
    schedule: z.string().nullable(),
    next_run_at: z.string().nullable(),
    cursor: z.string().nullable(),
    is_active: z.boolean(),
    last_run: z
      .object({ id: z.uuid(), status: z.string(), finished_at: z.string().nullable(), error: z.string().nullable() })
      .nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Connector');

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

export const runView = z
  .object({
    id: z.uuid(),
    connector_id: z.uuid(),
    trigger: z.enum(['manual', 'schedule']),
    status: z.enum(RUN_STATUSES),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    read: z.number().int(),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
    pages: z.number().int(),
    cursor_before: z.string().nullable(),
    cursor_after: z.string().nullable(),
    row_errors: z.array(z.unknown()),
    error: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('ConnectorRun');

export const runStarted = z.object({ run_id: z.uuid() }).openapi('ConnectorRunStarted');

export const testView = previewView
  .extend({ error: z.string().nullable().openapi({ description: "The customer system's error, if it failed" }) })
  .openapi('ConnectorTest');

export const testBody = z
  .object({ mapping: sourceMapping.optional().openapi({ description: 'A mapping to try instead of the saved one' }) })
  .openapi('ConnectorTestRequest');
