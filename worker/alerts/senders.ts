import { Webhook } from 'standardwebhooks';
import { LogLevel, WorkerMailer } from 'worker-mailer';
import type { Env } from '../env';
import { AddressRefused, checkUrl, privateAddressesAllowed } from '../platform/address-guard';
import { type AlertPayload, emailMessage, slackMessage } from './render';

/** One attempt's result: delivered, worth retrying (network, timeout, 5xx, 408, 429), or failed for good. */
export type AttemptOutcome = {
  result: 'delivered' | 'retry' | 'failed';
  statusCode: number | null;
  error: string | null;
};

/** What an attempt needs of its channel, secrets decrypted. */
export type ChannelTarget =
  | { type: 'slack'; webhookUrl: string }
  | { type: 'email'; to: string[] }
  | { type: 'webhook'; url: string; secrets: string[] };

/** A file an email carries: its content base64-encoded. */
export type EmailAttachment = { filename: string; content: string; mimeType: string };

export const ATTEMPT_TIMEOUT_MS = 10_000;
const RETRYABLE_STATUS = new Set([408, 429]);

/** One attempt to deliver `payload` (the delivery `id` is the webhook-id of every attempt). */
export async function attemptDelivery(
  env: Env,
  target: ChannelTarget,
  id: string,
  payload: AlertPayload,
  attachments: EmailAttachment[] = [],
): Promise<AttemptOutcome> {
  try {
    if (target.type === 'email') return await sendEmail(env, target.to, payload, attachments);
    const policy = { allowPrivate: privateAddressesAllowed(env.ALERT_ALLOW_PRIVATE_URLS, env.APP_ENV) };
    const url = target.type === 'slack' ? target.webhookUrl : target.url;
    // Again at every attempt: a name may resolve elsewhere than when it was saved.
    await checkUrl(url, policy);
    if (target.type === 'slack') return await post(url, JSON.stringify(slackMessage(payload, env.APP_BASE_URL)), {});
    const body = webhookBody(payload);
    return await post(url, body, webhookHeaders(target.secrets, id, body));
  } catch (error) {
    if (error instanceof AddressRefused)
      return { result: error.temporary ? 'retry' : 'failed', statusCode: null, error: `The URL ${error.message}.` };
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { result: 'retry', statusCode: null, error: timedOut ? 'No answer within 10 s.' : errorText(error) };
  }
}

/** The Standard Webhooks body, in a fixed member order so that every attempt sends the same bytes. */
export function webhookBody(payload: AlertPayload): string {
  return JSON.stringify({ type: payload.type, timestamp: payload.timestamp, data: payload.data });
}

/** Standard Webhooks headers; during a rotation the signature list holds one for each valid secret. */
export function webhookHeaders(secrets: string[], id: string, body: string, at = new Date()): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, at, body));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<AttemptOutcome> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'NitiLens-Alerts/1', ...headers },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
  });
  const status = response.status;
  // The answer's body is not needed; reading a little of it says why a receiver refused.
  const answer = status >= 300 ? (await response.text().catch(() => '')).slice(0, 200) : '';
  if (status < 300) {
    await response.body?.cancel();
    return { result: 'delivered', statusCode: status, error: null };
  }
  if (status < 400) {
    const location = response.headers.get('location');
    return { result: 'failed', statusCode: status, error: `Redirect to ${location ?? 'elsewhere'} not followed.` };
  }
  const retry = status >= 500 || RETRYABLE_STATUS.has(status);
  return {
    result: retry ? 'retry' : 'failed',
    statusCode: status,
    error: `HTTP ${status}${answer ? `: ${answer}` : ''}`,
  };
}

type SmtpSettings = {
  host: string;
  port: number;
  secure: boolean;
  credentials?: { username: string; password: string };
};

/** SMTP_URL as worker-mailer takes it: smtps:// is TLS from the start, smtp:// upgrades by STARTTLS where offered. */
export function smtpSettings(smtpUrl: string): SmtpSettings {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const settings: SmtpSettings = { host: url.hostname, port: Number(url.port || (secure ? 465 : 587)), secure };
  if (url.username)
    settings.credentials = {
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
  return settings;
}

async function sendEmail(
  env: Env,
  to: string[],
  payload: AlertPayload,
  attachments: EmailAttachment[],
): Promise<AttemptOutcome> {
  if (!env.SMTP_URL || !env.SMTP_FROM)
    return { result: 'failed', statusCode: null, error: 'Email is not configured: set SMTP_URL and SMTP_FROM.' };
  const message = emailMessage(payload, env.APP_BASE_URL);
  const deadline = timeout(ATTEMPT_TIMEOUT_MS);
  try {
    const mailer = await Promise.race([
      WorkerMailer.connect({
        ...smtpSettings(env.SMTP_URL),
        startTls: true,
        authType: ['plain', 'login', 'cram-md5'],
        socketTimeoutMs: ATTEMPT_TIMEOUT_MS,
        responseTimeoutMs: ATTEMPT_TIMEOUT_MS,
        logLevel: LogLevel.NONE,
      }),
      deadline.promise,
    ]);
    try {
      await Promise.race([mailer.send({ from: env.SMTP_FROM, to, ...message, attachments }), deadline.promise]);
    } finally {
      // QUIT is a courtesy: a server slow to answer it does not hold the delivery up.
      const quit = timeout(1000);
      await Promise.race([mailer.close(), quit.promise]).catch(() => undefined);
      quit.clear();
    }
    return { result: 'delivered', statusCode: null, error: null };
  } catch (error) {
    const reply = /\b([245])\d\d\b/.exec(errorText(error));
    // A 5xx reply (unknown mailbox, refused sender, failed login) will not change by itself.
    const permanent = reply?.[1] === '5' || /authentication|auth method/i.test(errorText(error));
    return { result: permanent ? 'failed' : 'retry', statusCode: null, error: `SMTP: ${errorText(error)}` };
  } finally {
    deadline.clear();
  }
}

function timeout(ms: number): { promise: Promise<never>; clear: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${ms / 1000} s.`)), ms);
  });
  promise.catch(() => undefined);
  return { promise, clear: () => clearTimeout(timer) };
}

function errorText(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  const text = error instanceof Error ? error.message : String(error);
  return (cause instanceof Error && !text.includes(cause.message) ? `${text}: ${cause.message}` : text).slice(0, 500);
}
