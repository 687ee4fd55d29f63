/**
 * The plan catalogue: prices, limits and features. A pure module (no runtime imports), so the
 * dashboard reads the same names and numbers as the API. See docs/billing.md.
 */

export const PLAN_IDS = ['basic', 'pro', 'enterprise'] as const;
export type PlanId = (typeof PLAN_IDS)[number];

/**
 * What a route may offer only on some plans. A route opts in with `gate: planFeature(...)` in
 * `defineRoute` (or `requireFeature`), and answers 402 `{feature, plan}` outside the plans that include it.
 */
export const FEATURES = ['alerts', 'cases', 'screening', 'risk', 'reports', 'connectors'] as const;
export type Feature = (typeof FEATURES)[number];

export const FEATURE_NAMES: Record<Feature, string> = {
  alerts: 'Alert channels and routes',
  cases: 'Cases (remediation)',
  screening: 'Sanctions and watch-list screening',
  risk: 'Risk scores and anomaly detection',
  reports: 'Reports and evidence packs',
  connectors: 'Database and REST connectors',
};

/** What the plans count. `rules` are rules in force (with an approved version); drafts are free. */
export const LIMIT_NAMES = ['users', 'policies', 'rules', 'transactions_per_month'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export const LIMIT_LABELS: Record<LimitName, { one: string; many: string }> = {
  users: { one: 'active user', many: 'active users' },
  policies: { one: 'policy', many: 'policies' },
  rules: { one: 'rule in force', many: 'rules in force' },
  transactions_per_month: { one: 'transaction this month', many: 'transactions this month' },
};

/** null: unlimited. */
export type PlanLimits = Record<LimitName, number | null>;

export type Plan = {
  id: PlanId;
  name: string;
  /** US dollars a month; 0 for the free plan. */
  price_monthly: number;
  limits: PlanLimits;
  features: Feature[];
};

export const PLANS: readonly Plan[] = [
  {
    id: 'basic',
    name: 'Basic',
    price_monthly: 0,
    limits: { users: 3, policies: 1, rules: 25, transactions_per_month: 10_000 },
    features: ['alerts', 'cases'],
  },
  {
    id: 'pro',
    name: 'Pro',
    price_monthly: 99,
    limits: { users: 20, policies: 10, rules: 250, transactions_per_month: 1_000_000 },
    features: ['alerts', 'cases', 'screening', 'risk', 'reports'],
  },
  {
    id: 'enterprise',
    name: 'Enterprise',
    price_monthly: 499,
    limits: { users: null, policies: null, rules: null, transactions_per_month: null },
    features: [...FEATURES],
  },
];

export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'canceled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** The plan an organization is held to when its subscription has lapsed or is missing. */
export const FALLBACK_PLAN: PlanId = 'basic';

/** After a failed payment the organization keeps its plan this long, then is held to the fallback plan. */
export const PAST_DUE_GRACE_DAYS = 14;

/** `usage.limit_near` is raised once a period when usage reaches this share of a limit. */
export const LIMIT_NEAR_RATIO = 0.8;

export function planById(id: string): Plan | undefined {
  return PLANS.find((plan) => plan.id === id);
}

export function isPlanId(id: unknown): id is PlanId {
  return typeof id === 'string' && (PLAN_IDS as readonly string[]).includes(id);
}

/** Plans are ordered by what they allow: basic < pro < enterprise. */
export function planRank(id: PlanId): number {
  return PLAN_IDS.indexOf(id);
}

/** The usage at which `usage.limit_near` is due for a limit. */
export function nearThreshold(limit: number): number {
  return Math.ceil(limit * LIMIT_NEAR_RATIO);
}

/** "3 active users", "1 policy". */
export function countOf(name: LimitName, n: number): string {
  const label = LIMIT_LABELS[name];
  return `${n.toLocaleString('en-US')} ${n === 1 ? label.one : label.many}`;
}
