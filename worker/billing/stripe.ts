import Stripe from 'stripe';
import type { Env } from '../env';
import { ApiError } from '../platform/errors';
import type { Plan } from '../subscription/catalogue';

/** Stripe's window for a signed event (seconds): older ones are refused as possible replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Stripe in its Workers mode: fetch for HTTP, no Node built-ins. */
export function stripeClient(env: Env): Stripe {
  if (!env.STRIPE_SECRET_KEY) {
    throw new ApiError(
      'service_unavailable',
      'Billing is not configured: set STRIPE_SECRET_KEY (a Stripe secret key) to sell plans through Stripe Checkout.',
    );
  }
  const api = env.STRIPE_API_URL ? new URL(env.STRIPE_API_URL) : undefined;
  return new Stripe(env.STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 1,
    timeout: 10_000,
    telemetry: false,
    ...(api && {
      host: api.hostname,
      port: api.port || (api.protocol === 'https:' ? 443 : 80),
      protocol: api.protocol === 'http:' ? ('http' as const) : ('https' as const),
    }),
  });
}

/** Whether plans are sold through Stripe: then paid plans are bought with Checkout, not switched on. */
export function stripeBilling(env: Env): boolean {
  return Boolean(env.STRIPE_SECRET_KEY);
}

/**
 * The event of a webhook request, verified against STRIPE_WEBHOOK_SECRET with SubtleCrypto
 * (the synchronous verifier needs Node's crypto). 400 for a wrong or stale signature.
 */
export async function verifiedEvent(env: Env, rawBody: string, signature: string | undefined): Promise<Stripe.Event> {
  if (!env.STRIPE_WEBHOOK_SECRET) {
    throw new ApiError(
      'service_unavailable',
      "Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET (the endpoint's signing secret, whsec_...).",
    );
  }
  if (!signature) throw new ApiError('bad_request', 'The Stripe-Signature header is missing.');
  try {
    return await Stripe.webhooks.constructEventAsync(
      rawBody,
      signature,
      env.STRIPE_WEBHOOK_SECRET,
      SIGNATURE_TOLERANCE_SECONDS,
      Stripe.createSubtleCryptoProvider(),
    );
  } catch (error) {
    const detail = error instanceof Stripe.errors.StripeSignatureVerificationError ? error.message : String(error);
    throw new ApiError(
      'bad_request',
      `The Stripe-Signature does not verify, or it is older than ${SIGNATURE_TOLERANCE_SECONDS} s: ${detail}`,
    );
  }
}

export type CheckoutRequest = {
  orgId: string;
  plan: Plan;
  customerId: string | null;
  email: string;
  returnTo: string;
};

/**
 * A Checkout session for a monthly subscription to `plan`. The organization and plan travel in
 * the session's and the subscription's metadata: that is how the webhook knows what was bought.
 * The price is given inline, so no product needs to be set up in Stripe first.
 */
export async function createCheckoutSession(env: Env, request: CheckoutRequest): Promise<{ id: string; url: string }> {
  const metadata = { org_id: request.orgId, plan: request.plan.id };
  const session = await callStripe(() =>
    stripeClient(env).checkout.sessions.create(
      {
        mode: 'subscription',
        client_reference_id: request.orgId,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: 'usd',
              unit_amount: request.plan.price_monthly * 100,
              recurring: { interval: 'month' },
              product_data: { name: `NitiLens ${request.plan.name}` },
            },
          },
        ],
        metadata,
        subscription_data: { metadata },
        ...(request.customerId ? { customer: request.customerId } : { customer_email: request.email }),
        success_url: `${request.returnTo}/subscription?checkout=success`,
        cancel_url: `${request.returnTo}/subscription?checkout=canceled`,
      },
      // A double click makes one session, not two.
      { idempotencyKey: `checkout:${request.orgId}:${request.plan.id}:${Math.floor(Date.now() / 60_000)}` },
    ),
  );
  if (!session.url) throw new ApiError('service_unavailable', 'Stripe created a Checkout session without a URL.');
  return { id: session.id, url: session.url };
}

/** Ends a Stripe subscription now (a replaced or downgraded one), so it is billed no more. */
export async function cancelStripeSubscription(env: Env, subscriptionId: string): Promise<void> {
  await callStripe(() => stripeClient(env).subscriptions.cancel(subscriptionId));
}

/** Stripe's own failures become a 503 that names them, never a 500. */
async function callStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const message = error instanceof Stripe.errors.StripeError ? error.message : String(error);
    throw new ApiError('service_unavailable', `Stripe did not accept the request: ${message}`);
  }
}
