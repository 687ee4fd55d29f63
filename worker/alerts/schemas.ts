import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { SEVERITIES } from '../rules/language/schema';
import { CHANNEL_TYPES, DELIVERY_STATUSES, EVENT_TYPES, ROUTE_MODES } from './kinds';

const name = z.string().trim().min(1).max(200);
const url = z.string().trim().min(1).max(2048);

export const slackConfig = z.strictObject({
  webhook_url: url.openapi({ description: 'A Slack incoming webhook URL' }),
});
export const emailConfig = z.strictObject({ to: z.array(z.email().max(254)).min(1).max(20) });
export const webhookConfig = z.strictObject({ url: url.openapi({ description: 'An https endpoint' }) });

/** Each channel type's config, for checking a PATCH against the channel's own type. */
export const CONFIG_SCHEMAS = { slack: slackConfig, email: emailConfig, webhook: webhookConfig } as const;

export const createChannelBody = z
  .discriminatedUnion('type', [
    z.strictObject({ name, type: z.literal('slack'), config: slackConfig }),
    z.strictObject({ name, type: z.literal('email'), config: emailConfig }),
    z.strictObject({ name, type: z.literal('webhook'), config: webhookConfig }),
  ])
  .openapi('CreateAlertChannelRequest');
export type CreateChannelInput = z.infer<typeof createChannelBody>;

export const updateChannelBody = z
  .strictObject({
    name: name.optional(),
    config: z.record(z.string(), z.unknown()).optional().openapi({ description: "The channel type's config" }),
  })
  .openapi('UpdateAlertChannelRequest');

export const channelView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(CHANNEL_TYPES),
    config: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'slack: {webhook_url} shortened (it is a credential); email: {to}; webhook: {url}' }),
    previous_secret_expires_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('AlertChannel');

export const channelWithSecret = channelView
  .extend({
    signing_secret: z.string().openapi({ description: 'Webhook channels only, shown once: whsec_<base64>' }),
  })
  .openapi('AlertChannelSecret');

export const createRouteBody = z
  .strictObject({
    channel_id: z.uuid(),
    events: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length),
    min_severity: z.enum(SEVERITIES).nullish(),
    rule_ids: z.array(z.uuid()).max(100).nullish(),
    mode: z.enum(ROUTE_MODES),
  })
  .openapi('CreateAlertRouteRequest');
export type CreateRouteInput = z.infer<typeof createRouteBody>;

export const routeView = z
  .object({
    id: z.uuid(),
    channel_id: z.uuid(),
    channel: z.object({ name: z.string(), type: z.enum(CHANNEL_TYPES) }),
    events: z.array(z.enum(EVENT_TYPES)),
    min_severity: z.enum(SEVERITIES).nullable(),
    rule_ids: z.array(z.uuid()).nullable(),
    mode: z.enum(ROUTE_MODES),
    created_at: z.string(),
  })
  .openapi('AlertRoute');

export const deliveryView = z
  .object({
    id: z.uuid().openapi({ description: 'Also the webhook-id of every attempt' }),
    channel_id: z.uuid(),
    route_id: z.uuid().nullable(),
    event_type: z.string().openapi({ description: 'An event type, or alert.digest / alert.test' }),
    summary: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi('AlertDelivery');

export const deliveriesQuery = pageQuery.extend({
  channel_id: z.uuid().optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
});
