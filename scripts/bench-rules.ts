/**
 * The 10-rule set shared by the benchmarks (scan and webhook): plain predicates, lists, a regex,
 * and windowed aggregates grouped by account and counterparty, as a real policy set mixes them.
 */
export const BENCH_RULES = [
  { name: 'Large wire', severity: 'high', condition: { all: [{ field: 'type', op: 'eq', value: 'wire' }, { field: 'amount', op: 'gt', value: 15000 }] } },
  { name: 'Cash near threshold', severity: 'medium', condition: { all: [{ field: 'type', op: 'eq', value: 'cash' }, { field: 'amount', op: 'between', value: [9000, 9999.99] }] } },
  { name: 'High-risk country', severity: 'critical', condition: { field: 'counterparty_country', op: 'in', value: ['IR', 'KP', 'SY', 'CU'] } },
  { name: 'Round amount', severity: 'low', condition: { all: [{ field: 'amount', op: 'gte', value: 5000 }, { field: 'attributes.memo', op: 'missing' }] } },
  { name: 'Suspicious counterparty name', severity: 'medium', condition: { field: 'counterparty', op: 'matches', value: '^CP-49[0-9]{2}$' } },
  { name: 'Card outside home country', severity: 'low', condition: { all: [{ field: 'type', op: 'eq', value: 'card' }, { field: 'country', op: 'ne', value: 'US' }] } },
  {
    name: 'Structuring', severity: 'high',
    condition: { all: [
      { field: 'type', op: 'eq', value: 'cash' },
      { aggregate: { fn: 'count', group_by: ['account'], window: '7d', where: { field: 'type', op: 'eq', value: 'cash' } }, op: 'gte', value: 3 },
    ] },
  },
  { name: 'Velocity', severity: 'medium', condition: { aggregate: { fn: 'count', group_by: ['account'], window: '1h' }, op: 'gt', value: 20 } },
  { name: 'Daily volume', severity: 'high', condition: { aggregate: { fn: 'sum', field: 'amount', group_by: ['account'], window: '1d' }, op: 'gt', value: 250000 } },
  { name: 'Fan-in', severity: 'medium', condition: { aggregate: { fn: 'count_distinct', field: 'account', group_by: ['counterparty'], window: '30d' }, op: 'gt', value: 50 } },
] as const;
