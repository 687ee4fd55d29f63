import type { MetricsAggregator } from '../durable-objects/metrics-aggregator';
import type { OrgHub } from '../durable-objects/org-hub';
import type { RateLimiter } from '../durable-objects/rate-limiter';
import type {
  AlertQueueMessage,
  ConnectorRunMessage,
  ReportRunMessage,
  RiskQueueMessage,
  ScanQueueMessage,
} from '../queues/messages';
import type { AiBinding } from './policies/extraction/llm-extractor';
import { isPlanId, PLAN_IDS } from './subscription/catalogue';

/** Bindings and variables declared in wrangler.toml, plus secrets (`wrangler secret put`). */
export interface Env {
  HYPERDRIVE: Hyperdrive;
  ORG_HUB: DurableObjectNamespace<OrgHub>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** The shards that sum the deployment's metrics (worker/platform/metrics.ts). */
  METRICS?: DurableObjectNamespace<MetricsAggregator>;
  /** The bearer token of `GET /metrics`; unset, /metrics answers 404. */
  METRICS_TOKEN?: string;
  SCANS_QUEUE: Queue<ScanQueueMessage>;
  ALERTS_QUEUE: Queue<AlertQueueMessage>;
  CONNECTORS_QUEUE: Queue<ConnectorRunMessage>;
  REPORTS_QUEUE: Queue<ReportRunMessage>;
  RISK_QUEUE: Queue<RiskQueueMessage>;
  POLICY_FILES: R2Bucket;
  /** Generated reports (worker/reports/). */
  REPORT_FILES: R2Bucket;
  /** Workers AI and a model name turn on the optional LLM policy extractor; both unset by default. */
  AI?: AiBinding;
  POLICY_LLM_MODEL?: string;
  ASSETS?: Fetcher;
  APP_ENV: string;
  DEFAULT_PLAN: string;
  CORS_ORIGINS: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  /** HMAC key for access tokens; JWT_PREVIOUS_SECRET keeps tokens signed before a rotation valid. */
  JWT_SECRET: string;
  JWT_PREVIOUS_SECRET?: string;
  /** 32 bytes, base64: AES-GCM key for stored secrets (source signing secrets, connector and alert channel secrets). */
  SOURCE_SECRET_KEY: string;
  /** During a rotation, the key SOURCE_SECRET_KEY replaced: secrets it sealed still open (docs/security.md). */
  SOURCE_SECRET_KEY_PREVIOUS?: string;
  /** `test` lowers the password KDF cost; allowed only when APP_ENV is development or test. */
  PASSWORD_COST?: string;
  /** Days new organizations try DEFAULT_PLAN before falling back to basic; unset: no trial. */
  TRIAL_DAYS?: string;
  /** Stripe billing (docs/billing.md): the API key turns on Checkout, the webhook secret the webhook. */
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /** Another Stripe API origin (`http://127.0.0.1:12111`): a local Stripe stand-in for tests. */
  STRIPE_API_URL?: string;
  /** Email alerts: `smtp://user:pass@host:port` or `smtps://...`, and the sender address. */
  SMTP_URL?: string;
  SMTP_FROM?: string;
  /** `true` lets alert URLs use http and loopback or private addresses (local development, tests); refused in production. */
  ALERT_ALLOW_PRIVATE_URLS?: string;
  /** `true` lets connectors reach http, loopback and private hosts (local development, tests); refused in production. */
  CONNECTOR_ALLOW_PRIVATE_HOSTS?: string;
  /** The dashboard's public origin: links in alerts, Stripe Checkout's return URLs (`https://app.example.com`). */
  APP_BASE_URL?: string;
}

type NitiLensEnv = Env;

// Types `env` from `cloudflare:test` and `cloudflare:workers` as the project's Env.
declare global {
  namespace Cloudflare {
    interface Env extends NitiLensEnv {}
  }
}

const REQUIRED = ['JWT_SECRET', 'SOURCE_SECRET_KEY', 'JWT_ISSUER', 'JWT_AUDIENCE', 'DEFAULT_PLAN'] as const;

/** Names every missing or malformed setting, so a misconfigured deploy says exactly what to fix. */
export function environmentProblems(env: Env): string[] {
  const problems: string[] = REQUIRED.filter((name) => !env[name]).map((name) => `${name} is not set`);
  if (!env.HYPERDRIVE?.connectionString) problems.push('HYPERDRIVE binding is missing');
  if (env.JWT_SECRET && env.JWT_SECRET.length < 32) problems.push('JWT_SECRET must be at least 32 characters');
  if (env.JWT_PREVIOUS_SECRET && env.JWT_PREVIOUS_SECRET.length < 32)
    problems.push('JWT_PREVIOUS_SECRET must be at least 32 characters');
  if (env.SOURCE_SECRET_KEY && base64Length(env.SOURCE_SECRET_KEY) !== 32) {
    problems.push('SOURCE_SECRET_KEY must be 32 bytes, base64-encoded');
  }
  if (env.SOURCE_SECRET_KEY_PREVIOUS && base64Length(env.SOURCE_SECRET_KEY_PREVIOUS) !== 32)
    problems.push('SOURCE_SECRET_KEY_PREVIOUS must be 32 bytes, base64-encoded');
  if (env.DEFAULT_PLAN && !isPlanId(env.DEFAULT_PLAN))
    problems.push(`DEFAULT_PLAN must be one of ${PLAN_IDS.join(', ')}`);
  if (env.TRIAL_DAYS !== undefined && env.TRIAL_DAYS !== '' && !/^[1-9][0-9]{0,2}$/.test(env.TRIAL_DAYS))
    problems.push('TRIAL_DAYS must be a whole number of days from 1 to 999');
  if (env.STRIPE_API_URL && !URL.canParse(env.STRIPE_API_URL)) problems.push('STRIPE_API_URL must be a URL');
  // The lowered cost makes stolen hashes cheap to crack: only where every account is disposable.
  if (env.PASSWORD_COST && env.PASSWORD_COST !== 'test') problems.push('PASSWORD_COST must be unset or "test"');
  if (env.PASSWORD_COST === 'test' && env.APP_ENV !== 'development' && env.APP_ENV !== 'test')
    problems.push('PASSWORD_COST=test is allowed only when APP_ENV is development or test');
  if (env.ALERT_ALLOW_PRIVATE_URLS === 'true' && env.APP_ENV === 'production')
    problems.push('ALERT_ALLOW_PRIVATE_URLS=true is refused in production');
  if (env.CONNECTOR_ALLOW_PRIVATE_HOSTS === 'true' && env.APP_ENV === 'production')
    problems.push('CONNECTOR_ALLOW_PRIVATE_HOSTS=true is refused in production');
  if (env.SMTP_URL && !urlWithScheme(env.SMTP_URL, ['smtp:', 'smtps:']))
    problems.push('SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port');
  if (env.SMTP_FROM && !/^[^\s@<>]+@[^\s@<>]+$/.test(env.SMTP_FROM))
    problems.push('SMTP_FROM must be an email address (alerts@example.com)');
  if (env.APP_BASE_URL && !urlWithScheme(env.APP_BASE_URL, ['https:', 'http:']))
    problems.push('APP_BASE_URL must be an http(s) URL (https://app.example.com)');
  return problems;
}

function urlWithScheme(value: string, schemes: string[]): boolean {
  try {
    const url = new URL(value);
    return schemes.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

function base64Length(value: string): number {
  try {
    return atob(value).length;
  } catch {
    return -1;
  }
}
