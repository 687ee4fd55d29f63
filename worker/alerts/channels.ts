import { desc, eq, getTableColumns, sql } from 'drizzle-orm';
import { alertChannels, alertDeliveries } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import type { Env } from '../env';
import { AddressRefused, checkUrl, privateAddressesAllowed } from '../platform/address-guard';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound, validationError } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { decryptSecret, encryptSecret, type SecretKeys } from '../sources/secrets';
import { CONFIG_SCHEMAS, type CreateChannelInput } from './schemas';
import type { ChannelTarget } from './senders';

export type ChannelRow = typeof alertChannels.$inferSelect;
type ChannelType = keyof typeof CONFIG_SCHEMAS;
type ChannelConfig = CreateChannelInput['config'];

/** How long a webhook's secret keeps signing beside its replacement after a rotation. */
const PREVIOUS_SECRET_HOURS = 24;

/**
 * Checks a channel's config before anything is written: its URL through the address guard, which
 * resolves names over the network, so it runs before the transaction opens. Returns the config.
 */
export async function checkedConfig(env: Env, type: ChannelType, config: unknown): Promise<ChannelConfig> {
  const parsed = CONFIG_SCHEMAS[type].safeParse(config);
  if (!parsed.success) throw validationError(parsed.error.issues, 'config');
  const key = type === 'slack' ? 'webhook_url' : type === 'webhook' ? 'url' : null;
  if (key) {
    const policy = { allowPrivate: privateAddressesAllowed(env.ALERT_ALLOW_PRIVATE_URLS, env.APP_ENV) };
    try {
      await checkUrl((parsed.data as Record<string, string>)[key]!, policy);
    } catch (error) {
      if (!(error instanceof AddressRefused)) throw error;
      throw new ApiError('validation_failed', 'The request has invalid fields.', {
        errors: [{ path: `config.${key}`, message: `The URL ${error.message}.` }],
      });
    }
  }
  return parsed.data;
}

/** A webhook's new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks has it. */
function generateWebhookSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
}

/** What may be shown of a config: a Slack URL is a credential, so only its host and last characters. */
function publicConfig(type: ChannelType, config: ChannelConfig): Record<string, unknown> {
  if (type !== 'slack') return config;
  const url = new URL((config as { webhook_url: string }).webhook_url);
  return { url_hint: `${url.origin}/…${url.pathname.slice(-4)}` };
}

/** The secret stored encrypted: the Slack URL itself, or a webhook's signing secret (none for email). */
function secretOf(type: ChannelType, config: ChannelConfig): string | null {
  if (type === 'slack') return (config as { webhook_url: string }).webhook_url;
  return type === 'webhook' ? generateWebhookSecret() : null;
}

/** Creates a channel; a webhook's signing secret is returned this once. */
export async function createChannel(
  tx: Tx,
  actor: Actor,
  input: { name: string; type: ChannelType; config: ChannelConfig; secretKey: SecretKeys },
): Promise<{ row: ChannelRow; signingSecret: string | null }> {
  const id = crypto.randomUUID();
  const secret = secretOf(input.type, input.config);
  const [row] = await tx
    .insert(alertChannels)
    .values({
      id,
      orgId: actor.orgId,
      name: input.name,
      type: input.type,
      config: publicConfig(input.type, input.config),
      secretCiphertext: secret === null ? '' : await encryptSecret(input.secretKey, id, secret),
      createdBy: actor.userId,
    })
    .returning();
  await audit(tx, actor, 'alert_channel.created', row!, { name: input.name, type: input.type });
  return { row: row!, signingSecret: input.type === 'webhook' ? secret : null };
}

export async function findChannel(tx: Tx, id: string): Promise<ChannelRow> {
  const [row] = await tx.select().from(alertChannels).where(eq(alertChannels.id, id)).limit(1);
  if (!row) throw notFound('Alert channel');
  return row;
}

/** Newest first; `createdAtKey` is created_at at full (microsecond) precision, for the cursor. */
export async function listChannels(tx: Tx, cursor: string | undefined, limit: number) {
  return tx
    .select({ ...getTableColumns(alertChannels), createdAtKey: sql<string>`${alertChannels.createdAt}::text` })
    .from(alertChannels)
    .where(olderThan(alertChannels.createdAt, alertChannels.id, cursor))
    .orderBy(desc(alertChannels.createdAt), desc(alertChannels.id))
    .limit(limit + 1);
}

/** Renames a channel or replaces its config (checked by `checkedConfig` first); a webhook keeps its secret. */
export async function updateChannel(
  tx: Tx,
  actor: Actor,
  id: string,
  input: { name?: string | undefined; config?: ChannelConfig | undefined; secretKey: SecretKeys },
): Promise<ChannelRow> {
  const current = await findChannel(tx, id);
  const type = current.type as ChannelType;
  const config =
    input.config === undefined
      ? {}
      : {
          config: publicConfig(type, input.config),
          ...(type === 'slack'
            ? { secretCiphertext: await encryptSecret(input.secretKey, current.id, secretOf(type, input.config)!) }
            : {}),
        };
  const [row] = await tx
    .update(alertChannels)
    .set({ updatedAt: sql`now()`, ...(input.name === undefined ? {} : { name: input.name }), ...config })
    .where(eq(alertChannels.id, id))
    .returning();
  await audit(tx, actor, 'alert_channel.updated', row!, {
    changed: [...(input.name === undefined ? [] : ['name']), ...(input.config === undefined ? [] : ['config'])],
  });
  return row!;
}

/** Deletes a channel with its routes and its delivery log. */
export async function deleteChannel(tx: Tx, actor: Actor, id: string): Promise<void> {
  const row = await findChannel(tx, id);
  await tx.delete(alertChannels).where(eq(alertChannels.id, id));
  await audit(tx, actor, 'alert_channel.deleted', row, { name: row.name, type: row.type });
}

/** A webhook's new signing secret, returned once; the replaced one keeps signing for 24 hours. */
export async function rotateChannelSecret(
  tx: Tx,
  actor: Actor,
  id: string,
  secretKey: SecretKeys,
): Promise<{ row: ChannelRow; signingSecret: string }> {
  const current = await findChannel(tx, id);
  if (current.type !== 'webhook')
    throw new ApiError('conflict', 'Only webhook channels have a signing secret to rotate.');
  const secret = generateWebhookSecret();
  const [row] = await tx
    .update(alertChannels)
    .set({
      secretCiphertext: await encryptSecret(secretKey, current.id, secret),
      previousSecretCiphertext: current.secretCiphertext,
      previousSecretExpiresAt: sql`now() + make_interval(hours => ${PREVIOUS_SECRET_HOURS})`,
      updatedAt: sql`now()`,
    })
    .where(eq(alertChannels.id, id))
    .returning();
  await audit(tx, actor, 'alert_channel.secret_rotated', row!, {
    previous_secret_expires_at: row!.previousSecretExpiresAt?.toISOString(),
  });
  return { row: row!, signingSecret: secret };
}

/** A test message for the channel, as a delivery of its own (`alert.test`), sent by the caller. */
export async function createTestDelivery(tx: Tx, actor: Actor, id: string): Promise<string> {
  const channel = await findChannel(tx, id);
  const [delivery] = await tx
    .insert(alertDeliveries)
    .values({
      orgId: actor.orgId,
      channelId: channel.id,
      eventType: 'alert.test',
      payload: sql`jsonb_build_object('type', 'alert.test',
        'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'data', jsonb_build_object('channel_id', ${channel.id}::text, 'channel_name', ${channel.name}::text))`,
    })
    .returning({ id: alertDeliveries.id });
  await audit(tx, actor, 'alert_channel.tested', channel, { delivery_id: delivery!.id });
  return delivery!.id;
}

/** Where an attempt goes, with the channel's secrets decrypted (a rotated-out secret only while it is valid). */
export async function channelTarget(
  secretKey: SecretKeys,
  channel: {
    id: string;
    type: string;
    config: Record<string, unknown>;
    secretCiphertext: string;
    previousSecretCiphertext: string | null;
    previousSecretValid: boolean;
  },
): Promise<ChannelTarget> {
  if (channel.type === 'email') return { type: 'email', to: channel.config.to as string[] };
  const secret = await decryptSecret(secretKey, channel.id, channel.secretCiphertext);
  if (channel.type === 'slack') return { type: 'slack', webhookUrl: secret };
  const secrets = [secret];
  if (channel.previousSecretCiphertext && channel.previousSecretValid)
    secrets.push(await decryptSecret(secretKey, channel.id, channel.previousSecretCiphertext));
  return { type: 'webhook', url: channel.config.url as string, secrets };
}

export function toChannelView(row: ChannelRow) {
  const config = row.type === 'slack' ? { webhook_url: row.config.url_hint } : row.config;
  return {
    id: row.id,
    name: row.name,
    type: row.type as ChannelType,
    config,
    previous_secret_expires_at:
      row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date()
        ? row.previousSecretExpiresAt.toISOString()
        : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

async function audit(tx: Tx, actor: Actor, action: string, row: ChannelRow, details: Record<string, unknown>) {
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action,
    targetType: 'alert_channel',
    targetId: row.id,
    details,
  });
}
