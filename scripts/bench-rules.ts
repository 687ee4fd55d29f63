/**
 * The 10-rule set of the benchmarks (scan and webhook): 3 threshold/list,
 * 2 comparison/pattern, 5 windowed (structuring included), grouped by account and counterparty.
 */
export const BENCH_RULES = [
  { name: 'Large transaction', severity: 'high', condition: { field: 'amount', op: 'gt', value: 24000 } },
  {
    name: 'Sanctioned counterparty country',
    severity: 'critical',
    condition: { field: 'counterparty_country', op: 'in', value: ['IR', 'KP', 'SY', 'CU'] },
  },
  {
    name: 'Large amount in a non-core currency',
    severity: 'medium',
    condition: {
      all: [
        { field: 'currency', op: 'not_in', value: ['USD', 'EUR', 'GBP'] },
        { field: 'amount', op: 'gt', value: 10000 },
      ],
    },
  },
  {
    name: 'Large cross-border wire',
    severity: 'medium',
    condition: {
      all: [
        { field: 'type', op: 'eq', value: 'wire' },
        { field: 'country', op: 'ne', other_field: 'counterparty_country' },
        { field: 'amount', op: 'gt', value: 15000 },
      ],
    },
  },
  {
    name: 'Shell company counterparty',
    severity: 'high',
    condition: { field: 'counterparty', op: 'matches', value: '^SHELL-[0-9]{3,}$' },
  },
  {
    name: 'Cash structuring below the reporting threshold',
    severity: 'critical',
    condition: {
      all: [
        { field: 'type', op: 'eq', value: 'cash' },
        { field: 'amount', op: 'between', value: [9000, 9999.99] },
        {
          aggregate: {
            fn: 'count',
            group_by: ['account'],
            window: '7d',
            where: {
              all: [
                { field: 'type', op: 'eq', value: 'cash' },
                { field: 'amount', op: 'between', value: [9000, 9999.99] },
              ],
            },
          },
          op: 'gte',
          value: 3,
        },
      ],
    },
  },
  {
    name: 'Account velocity',
    severity: 'medium',
    condition: { aggregate: { fn: 'count', group_by: ['account'], window: '1h' }, op: 'gte', value: 4 },
  },
  {
    name: 'Daily outflow above 60,000',
    severity: 'high',
    condition: {
      all: [
        { field: 'amount', op: 'gt', value: 10000 },
        { aggregate: { fn: 'sum', field: 'amount', group_by: ['account'], window: '24h' }, op: 'gt', value: 60000 },
      ],
    },
  },
  {
    name: 'Wires fanning out to many counterparties',
    severity: 'medium',
    condition: {
      all: [
        { field: 'type', op: 'eq', value: 'wire' },
        {
          aggregate: { fn: 'count_distinct', field: 'counterparty', group_by: ['account'], window: '7d' },
          op: 'gte',
          value: 10,
        },
      ],
    },
  },
  {
    name: 'Unusually high average per counterparty',
    severity: 'low',
    condition: {
      all: [
        { field: 'channel', op: 'eq', value: 'api' },
        { field: 'type', op: 'eq', value: 'wire' },
        { aggregate: { fn: 'avg', field: 'amount', group_by: ['counterparty'], window: '30d' }, op: 'gt', value: 8000 },
      ],
    },
  },
];
