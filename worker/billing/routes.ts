import { z } from '@hono/zod-openapi';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonResponse, problemOf } from '../platform/responses';
import { verifiedEvent } from './stripe';
import { applyStripeEvent } from './webhook';

export const billingRoutes = createRouter();

export const outcome = z
  .object({
    received: z.literal(true),
    applied: z.boolean().describe('Whether the event changed a subscription'),
    duplicate: z.boolean().describe('The event id was applied before; nothing changed'),
  })
  .openapi('StripeWebhookOutcome');

const stripeWebhook = defineRoute(
  { public: true, reason: 'Stripe calls it; the Stripe-Signature header authenticates it' },
  {
    method: 'post',
    path: '/stripe/webhook',
    tags: ['subscription'],
    summary: "Stripe's events: checkout completed, subscription updated or deleted, invoice payment failed",
    description:
      'Register this URL in Stripe with those four events. Each event id is applied once; other events are acknowledged and ignored.',
    // Verified over the exact bytes by the handler, so documented rather than validated.
    parameters: [{ in: 'header', name: 'Stripe-Signature', required: true, schema: { type: 'string' } }],
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object', description: 'A Stripe Event object, as Stripe sends it' },
            example: {
              id: 'evt_1Q2w3E4r5T6y',
              type: 'customer.subscription.updated',
              data: { object: { id: 'sub_1Q2w3E', status: 'active' } },
            },
          },
        },
      },
    },
    responses: {
      200: jsonResponse(outcome, 'Received'),
      400: problemOf('The Stripe-Signature is missing, wrong, or older than 300 s'),
      503: problemOf('STRIPE_WEBHOOK_SECRET is not set'),
    },
  },
);
billingRoutes.openapi(stripeWebhook, async (c) => {
  // Verified over the exact bytes Stripe signed.
  const event = await verifiedEvent(c.env, await c.req.text(), c.req.header('stripe-signature'));
  return c.json(await applyStripeEvent(c.env, c.var.database(), event), 200);
});
