import type { Condition } from '../../worker/rules/language';

/**
 * The labelled clause corpus of `npm run bench:extraction`: realistic clauses from six domains, each
 * with the rules a compliance analyst would write for it in the vocabulary of the benchmark
 * organization (`transactions.ts`), or none when no transaction shows the obligation. Labels are
 * judged by their hits on that organization's history, not by their shape.
 */
export interface LabelledClause {
  id: string;
  domain: 'aml' | 'expenses' | 'procurement' | 'travel' | 'data-protection' | 'sanctions';
  text: string;
  /** The rules the clause should yield; empty: "no transaction rule". */
  expected: Condition[];
}

const eq = (field: string, value: string | boolean): Condition => ({ field, op: 'eq', value }) as Condition;
const inList = (field: string, value: string[]): Condition => ({ field, op: 'in', value }) as Condition;
const gt = (value: number): Condition => ({ field: 'amount', op: 'gt', value });
const missing = (field: string): Condition => ({ field, op: 'missing' }) as Condition;
const all = (...members: Condition[]): Condition => ({ all: members });
const usd = eq('currency', 'USD');
const type = (value: string) => eq('type', value);
const category = (value: string) => eq('attributes.category', value);
const sumOver = (group: string, window: string, where: Condition, value: number): Condition =>
  ({ aggregate: { fn: 'sum', field: 'amount', group_by: [group], window, where }, op: 'gt', value }) as Condition;

export const CORPUS: LabelledClause[] = [
  // Anti-money laundering.
  {
    id: 'aml-1',
    domain: 'aml',
    text: 'Cash deposits over 10,000 USD must be reported to the Financial Intelligence Unit within one business day.',
    expected: [all(type('cash_deposit'), usd, gt(10000))],
  },
  {
    id: 'aml-2',
    domain: 'aml',
    text: 'Multiple cash deposits into the same account totalling more than 10,000 USD within 24 hours must be investigated as possible structuring.',
    expected: [all(type('cash_deposit'), usd, sumOver('account', '24h', all(type('cash_deposit'), usd), 10000))],
  },
  {
    id: 'aml-3',
    domain: 'aml',
    text: 'Cash withdrawals above 5,000 USD require the approval of a branch manager.',
    expected: [all(type('cash_withdrawal'), usd, gt(5000), missing('attributes.approver'))],
  },
  {
    id: 'aml-4',
    domain: 'aml',
    text: 'International wire transfers above 3,000 USD must include originator information.',
    expected: [
      all(
        inList('type', ['wire_out', 'wire_in']),
        { field: 'country', op: 'ne', other_field: 'counterparty_country' },
        usd,
        gt(3000),
        missing('attributes.originator_name'),
      ),
    ],
  },
  {
    id: 'aml-5',
    domain: 'aml',
    text: 'Wire transfers to or from Iran, North Korea, Syria or Cuba are prohibited.',
    expected: [all(inList('type', ['wire_out', 'wire_in']), inList('counterparty_country', ['IR', 'KP', 'SY', 'CU']))],
  },
  {
    id: 'aml-6',
    domain: 'aml',
    text: 'Three or more cash deposits just below the reporting threshold of USD 10,000 into one account within 7 days must be escalated.',
    expected: [
      all(
        type('cash_deposit'),
        usd,
        { field: 'amount', op: 'between', value: [9000, 9999.99] },
        {
          aggregate: {
            fn: 'count',
            group_by: ['account'],
            window: '7d',
            where: all(type('cash_deposit'), usd, { field: 'amount', op: 'between', value: [9000, 9999.99] }),
          },
          op: 'gte',
          value: 3,
        },
      ),
    ],
  },
  {
    id: 'aml-7',
    domain: 'aml',
    text: 'More than 10 transactions from a single account within 24 hours must be referred to the AML Officer for review.',
    expected: [{ aggregate: { fn: 'count', group_by: ['account'], window: '24h' }, op: 'gt', value: 10 }],
  },
  {
    id: 'aml-8',
    domain: 'aml',
    text: 'Payments to the same counterparty from five or more different accounts within 48 hours must be investigated as possible money-mule activity.',
    expected: [
      {
        aggregate: { fn: 'count_distinct', field: 'account', group_by: ['counterparty'], window: '48h' },
        op: 'gte',
        value: 5,
      },
    ],
  },
  {
    id: 'aml-9',
    domain: 'aml',
    text: 'Records of cash transactions must be retained for at least five years after the end of the customer relationship.',
    expected: [],
  },
  {
    id: 'aml-10',
    domain: 'aml',
    text: 'All staff must complete anti-money laundering training every year.',
    expected: [],
  },
  {
    id: 'aml-11',
    domain: 'aml',
    text: 'Suspicious activity reports must be filed within 30 days of detection.',
    expected: [],
  },
  {
    id: 'aml-12',
    domain: 'aml',
    text: 'Branch staff must not tell a customer that a report has been or will be made.',
    expected: [],
  },
  {
    id: 'aml-13',
    domain: 'aml',
    text: 'Card payments must not exceed USD 20,000.',
    expected: [all(type('card_payment'), usd, gt(20000))],
  },
  {
    id: 'aml-14',
    domain: 'aml',
    text: 'Transactions in crypto-assets are prohibited.',
    expected: [type('crypto_transfer')],
  },
  // Expenses.
  {
    id: 'exp-1',
    domain: 'expenses',
    text: 'Meal expenses must not exceed USD 75 per day.',
    expected: [
      all(category('meals_and_dining'), usd, sumOver('account', '1d', all(category('meals_and_dining'), usd), 75)),
    ],
  },
  {
    id: 'exp-2',
    domain: 'expenses',
    text: 'Hotel expenses above USD 250 require prior approval.',
    expected: [all(category('hotel'), usd, gt(250), missing('attributes.approver'))],
  },
  {
    id: 'exp-3',
    domain: 'expenses',
    text: 'Taxi fares over USD 100 must be supported by a receipt.',
    expected: [all(category('taxi'), usd, gt(100), missing('attributes.receipt_id'))],
  },
  {
    id: 'exp-4',
    domain: 'expenses',
    text: 'Expense claims over USD 500 require approval by the budget holder.',
    expected: [all(type('expense_claim'), usd, gt(500), missing('attributes.approver'))],
  },
  {
    id: 'exp-5',
    domain: 'expenses',
    text: 'Employees must not approve their own expense claims.',
    expected: [
      all(type('expense_claim'), { field: 'attributes.approver', op: 'eq', other_field: 'attributes.submitted_by' }),
    ],
  },
  {
    id: 'exp-6',
    domain: 'expenses',
    text: 'Entertainment expenses above USD 200 must be approved in advance.',
    expected: [all(category('client_entertainment'), usd, gt(200), missing('attributes.approver'))],
  },
  {
    id: 'exp-7',
    domain: 'expenses',
    text: 'Gifts to public officials are prohibited.',
    expected: [],
  },
  {
    id: 'exp-8',
    domain: 'expenses',
    text: 'Claims must be submitted within 30 days of the expense being incurred.',
    expected: [],
  },
  // Procurement.
  {
    id: 'proc-1',
    domain: 'procurement',
    text: 'Purchases above USD 5,000 require approval.',
    expected: [all(type('purchase_invoice'), usd, gt(5000), missing('attributes.approver'))],
  },
  {
    id: 'proc-2',
    domain: 'procurement',
    text: 'Purchases over USD 25,000 require at least three quotations.',
    expected: [
      all(type('purchase_invoice'), usd, gt(25000), {
        any: [missing('attributes.quote_count'), { field: 'attributes.quote_count', op: 'lt', value: 3 }],
      }),
    ],
  },
  {
    id: 'proc-3',
    domain: 'procurement',
    text: 'Total spend with any single vendor above USD 25,000 in any 30-day period must be reviewed by Procurement.',
    expected: [
      all(usd, sumOver('counterparty', '30d', all(usd, type('purchase_invoice')), 25000), type('purchase_invoice')),
    ],
  },
  {
    id: 'proc-4',
    domain: 'procurement',
    text: 'No more than twenty invoices may be accepted from one supplier in a week.',
    expected: [
      all(type('purchase_invoice'), {
        aggregate: { fn: 'count', group_by: ['counterparty'], window: '7d', where: type('purchase_invoice') },
        op: 'gt',
        value: 20,
      }),
    ],
  },
  {
    id: 'proc-5',
    domain: 'procurement',
    text: 'Splitting a purchase into several orders below the USD 5,000 approval threshold within 14 days is prohibited.',
    expected: [
      all(
        type('purchase_invoice'),
        usd,
        { field: 'amount', op: 'lt', value: 5000 },
        {
          aggregate: {
            fn: 'count',
            group_by: ['counterparty'],
            window: '14d',
            where: all(type('purchase_invoice'), usd, { field: 'amount', op: 'lt', value: 5000 }),
          },
          op: 'gte',
          value: 2,
        },
        sumOver(
          'counterparty',
          '14d',
          all(type('purchase_invoice'), usd, { field: 'amount', op: 'lt', value: 5000 }),
          5000,
        ),
      ),
    ],
  },
  {
    id: 'proc-6',
    domain: 'procurement',
    text: 'The approver of a purchase must not be the same person as the requester.',
    expected: [
      all(type('purchase_invoice'), { field: 'attributes.approver', op: 'eq', other_field: 'attributes.submitted_by' }),
    ],
  },
  {
    id: 'proc-7',
    domain: 'procurement',
    text: 'Suppliers must be registered in the vendor master before the first order is placed.',
    expected: [],
  },
  {
    id: 'proc-8',
    domain: 'procurement',
    text: 'Purchasing staff must declare conflicts of interest every year.',
    expected: [],
  },
  // Travel.
  {
    id: 'trv-1',
    domain: 'travel',
    text: 'Air fares above USD 1,500 require approval by a director.',
    expected: [all(category('flights'), usd, gt(1500), missing('attributes.approver'))],
  },
  {
    id: 'trv-2',
    domain: 'travel',
    text: 'Car rentals must not exceed USD 120 per day.',
    expected: [all(category('car_hire'), usd, sumOver('account', '1d', all(category('car_hire'), usd), 120))],
  },
  {
    id: 'trv-3',
    domain: 'travel',
    text: 'Expenses incurred in Iran, North Korea or Syria are not reimbursed.',
    expected: [inList('country', ['IR', 'KP', 'SY'])],
  },
  {
    id: 'trv-4',
    domain: 'travel',
    text: 'Hotel rates must not exceed USD 300 per night.',
    expected: [all(category('hotel'), usd, gt(300))],
  },
  {
    id: 'trv-5',
    domain: 'travel',
    text: 'Travellers must book through the approved travel agency.',
    expected: [],
  },
  {
    id: 'trv-6',
    domain: 'travel',
    text: 'Business class is permitted only on flights longer than six hours.',
    expected: [],
  },
  // Data protection.
  {
    id: 'dp-1',
    domain: 'data-protection',
    text: 'Transfers of personal data to India, China or Brazil require standard contractual clauses.',
    expected: [
      all(
        eq('attributes.contains_pii', true),
        inList('counterparty_country', ['IN', 'CN', 'BR']),
        missing('attributes.scc_reference'),
      ),
    ],
  },
  {
    id: 'dp-2',
    domain: 'data-protection',
    text: 'Personal data must never be transferred to Iran, North Korea or Syria.',
    expected: [all(eq('attributes.contains_pii', true), inList('counterparty_country', ['IR', 'KP', 'SY']))],
  },
  {
    id: 'dp-3',
    domain: 'data-protection',
    text: 'Personal data must be processed lawfully, fairly and transparently.',
    expected: [],
  },
  {
    id: 'dp-4',
    domain: 'data-protection',
    text: 'Data subjects may request access to their personal data at any time.',
    expected: [],
  },
  {
    id: 'dp-5',
    domain: 'data-protection',
    text: 'Personal data breaches must be notified to the regulator within 72 hours.',
    expected: [],
  },
  // Sanctions.
  {
    id: 'sanc-1',
    domain: 'sanctions',
    text: 'Payments to counterparties in Russia, Belarus or Iran are prohibited.',
    expected: [inList('counterparty_country', ['RU', 'BY', 'IR'])],
  },
  {
    id: 'sanc-2',
    domain: 'sanctions',
    text: 'Transactions of more than USD 5,000 with counterparties in Myanmar, Venezuela or Yemen require enhanced due diligence.',
    expected: [
      all(inList('counterparty_country', ['MM', 'VE', 'YE']), usd, gt(5000), missing('attributes.edd_completed')),
    ],
  },
  {
    id: 'sanc-3',
    domain: 'sanctions',
    text: 'Screening alerts must be reviewed by the sanctions team within four hours.',
    expected: [],
  },
];
