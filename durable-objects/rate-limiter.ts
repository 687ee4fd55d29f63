import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../worker/env';

/** Login throttling counters, one object per throttled key (an email or an IP). */
export class RateLimiter extends DurableObject<Env> {}
