import type { z } from '@hono/zod-openapi';
import { desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { connectorRuns, connectors } from '../../db/schema';
import { databaseNow, type Tx } from '../../db/tenant';
import type { Env } from '../env';
import {
  type AddressPolicy,
  AddressRefused,
  checkHostPort,
  checkUrl,
  privateAddressesAllowed,
} from '../platform/address-guard';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound, validationError } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import type { SourceMapping } from '../sources/mapping';
import { decryptSecret, encryptSecret, type SecretKeys } from '../sources/secrets';
import { databaseAddress } from './readers/database-url';
import { type ConnectorSecret, SourceError } from './readers/reader';
import { type ConnectorType, restConfig, type runView, scheduleMinutes, sqlConfig } from './schemas';

export type ConnectorRow = typeof connectors.$inferSelect;
export type RunRow = typeof connectorRuns.$inferSelect;

/** The address policy of connector hosts: CONNECTOR_ALLOW_PRIVATE_HOSTS=true outside production only. */
export function connectorPolicy(env: Env): AddressPolicy {
  return { allowPrivate: privateAddressesAllowed(env.CONNECTOR_ALLOW_PRIVATE_HOSTS, env.APP_ENV) };
}

const DEFAULT_PORTS: Record<Exclude<ConnectorType, 'rest'>, number> = { postgres: 5432, mysql: 3306 };
const SCHEMES: Record<Exclude<ConnectorType, 'rest'>, string[]> = {
  postgres: ['postgres:', 'postgresql:'],
  mysql: ['mysql:'],
};

/** A config split into what may be shown and what is stored encrypted. */
type CheckedConfig = { shown: Record<string, unknown>; secret: ConnectorSecret };

/**
 * Validates a config for its type and puts its host through the address guard (which resolves
 * names over the network, so it runs before any transaction opens). A refused host is a 400.
 */
export async function checkConnectorConfig(env: Env, type: ConnectorType, config: unknown): Promise<CheckedConfig> {
  const policy = connectorPolicy(env);
  const refused = (message: string) =>
    new ApiError('validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'config.url', message }],
    });
  if (type === 'rest') {
    const parsed = restConfig.safeParse(config);
    if (!parsed.success) throw validationError(parsed.error.issues, 'config');
    const { url, headers, ...shown } = parsed.data;
    try {
      await checkUrl(url, policy);
    } catch (error) {
      if (error instanceof AddressRefused) throw refused(`The URL ${error.message}.`);
      throw error;
    }
    const display = new URL(url);
    display.username = '';
    display.password = '';
    return {
      shown: { ...shown, url_display: display.toString(), header_names: Object.keys(headers ?? {}) },
      secret: { url, ...(headers ? { headers } : {}) },
    };
  }
  const parsed = sqlConfig.safeParse(config);
  if (!parsed.success) throw validationError(parsed.error.issues, 'config');
  const { url, ...shown } = parsed.data;
  try {
    const address = databaseAddress(url, SCHEMES[type], DEFAULT_PORTS[type]);
    await checkHostPort(address.host, address.port, policy);
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    const user = address.user ? `${encodeURIComponent(address.user)}@` : '';
    return {
      shown: { ...shown, url_display: `${SCHEMES[type][0]}//${user}${host}:${address.port}/${address.database}` },
      secret: { url },
    };
  } catch (error) {
    if (error instanceof AddressRefused) throw refused(`The database host ${error.message}.`);
    if (error instanceof SourceError) throw refused(error.message);
    throw error;
  }
}

export function nextRunAt(schedule: string | null | undefined, from: Date): Date | null {
  const minutes = schedule ? scheduleMinutes(schedule) : undefined;
  return minutes === undefined ? null : new Date(from.getTime() + minutes * 60_000);
}

export async function createConnector(
  tx: Tx,
  actor: Actor,
  input: {
    name: string;
    type: ConnectorType;
    checked: CheckedConfig;
    mapping: SourceMapping;
    schedule: string | null;
    secretKey: SecretKeys;
  },
): Promise<ConnectorRow> {
  const id = crypto.randomUUID();
  const [row] = await tx
    .insert(connectors)
    .values({
      id,
      orgId: actor.orgId,
      name: input.name,
      type: input.type,
      config: input.checked.shown,
      secretCiphertext: await encryptSecret(input.secretKey, id, JSON.stringify(input.checked.secret)),
      mapping: input.mapping,
      schedule: input.schedule,
      nextRunAt: nextRunAt(input.schedule, await databaseNow(tx)),
      createdBy: actor.userId,
    })
    .returning();
  await audit(tx, actor, 'connector.created', row!.id, { name: row!.name, type: row!.type, schedule: row!.schedule });
  return row!;
}

export async function findConnector(tx: Tx, id: string): Promise<ConnectorRow> {
  const [row] = await tx.select().from(connectors).where(eq(connectors.id, id)).limit(1);
  if (!row) throw notFound('Connector');
  return row;
}

export async function connectorSecret(key: SecretKeys, row: ConnectorRow): Promise<ConnectorSecret> {
  return JSON.parse(await decryptSecret(key, row.id, row.secretCiphertext)) as ConnectorSecret;
}

/** Newest first; `createdAtKey` is created_at at full precision, for the cursor. */
export async function listConnectors(tx: Tx, cursor: string | undefined, limit: number) {
  return tx
    .select({ ...getTableColumns(connectors), createdAtKey: sql<string>`${connectors.createdAt}::text` })
    .from(connectors)
    .where(olderThan(connectors.createdAt, connectors.id, cursor))
    .orderBy(desc(connectors.createdAt), desc(connectors.id))
    .limit(limit + 1);
}

/** The newest run of each connector. */
export async function lastRuns(tx: Tx, connectorIds: string[]): Promise<Map<string, RunRow>> {
  if (connectorIds.length === 0) return new Map();
  const rows = await tx
    .selectDistinctOn([connectorRuns.connectorId])
    .from(connectorRuns)
    .where(inArray(connectorRuns.connectorId, connectorIds))
    .orderBy(connectorRuns.connectorId, desc(connectorRuns.createdAt));
  return new Map(rows.map((row) => [row.connectorId, row]));
}

/** Changes a connector; `config` is its new config, checked by checkConnectorConfig first. */
export async function updateConnector(
  tx: Tx,
  actor: Actor,
  id: string,
  change: {
    name?: string | undefined;
    mapping?: SourceMapping | undefined;
    schedule?: string | null | undefined;
    is_active?: boolean | undefined;
    config?: CheckedConfig | undefined;
    secretKey: SecretKeys;
  },
): Promise<ConnectorRow> {
  const { config: checked, secretKey, ...changes } = change;
  await findConnector(tx, id);
  const [row] = await tx
    .update(connectors)
    .set({
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.mapping === undefined ? {} : { mapping: changes.mapping }),
      ...(changes.schedule === undefined
        ? {}
        : { schedule: changes.schedule, nextRunAt: nextRunAt(changes.schedule, await databaseNow(tx)) }),
      ...(changes.is_active === undefined ? {} : { isActive: changes.is_active }),
      ...(checked === undefined
        ? {}
        : {
            config: checked.shown,
            secretCiphertext: await encryptSecret(secretKey, id, JSON.stringify(checked.secret)),
          }),
      updatedAt: sql`now()`,
    })
    .where(eq(connectors.id, id))
    .returning();
  await audit(tx, actor, 'connector.updated', id, {
    changed: [...Object.keys(changes), ...(checked === undefined ? [] : ['config'])],
  });
  return row!;
}

export async function deleteConnector(tx: Tx, actor: Actor, id: string): Promise<void> {
  const row = await findConnector(tx, id);
  await tx.delete(connectors).where(eq(connectors.id, id));
  await audit(tx, actor, 'connector.deleted', row.id, { name: row.name });
}

async function audit(tx: Tx, actor: Actor, action: string, connectorId: string, details: Record<string, unknown>) {
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action,
    targetType: 'connector',
    targetId: connectorId,
    details,
  });
}

export function toConnectorView(row: ConnectorRow, lastRun: RunRow | undefined) {
  return {
    id: row.id,
    name: row.name,
    type: row.type as ConnectorType,
    config: row.config,
    mapping: row.mapping as SourceMapping,
    schedule: row.schedule,
    next_run_at: row.nextRunAt?.toISOString() ?? null,
    cursor: row.cursor,
    is_active: row.isActive,
    last_run: lastRun
      ? {
          id: lastRun.id,
          status: lastRun.status,
          finished_at: lastRun.finishedAt?.toISOString() ?? null,
          error: lastRun.error,
        }
      : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toRunView(row: RunRow): z.infer<typeof runView> {
  return {
    id: row.id,
    connector_id: row.connectorId,
    trigger: row.trigger as 'manual' | 'schedule',
    status: row.status as z.infer<typeof runView>['status'],
    started_at: row.startedAt?.toISOString() ?? null,
    finished_at: row.finishedAt?.toISOString() ?? null,
    read: row.read,
    accepted: row.accepted,
    duplicates: row.duplicates,
    rejected: row.rejected,
    pages: row.pages,
    cursor_before: row.cursorBefore,
    cursor_after: row.cursorAfter,
    row_errors: row.rowErrors,
    error: row.error,
    created_at: row.createdAt.toISOString(),
  };
}
