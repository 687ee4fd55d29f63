/**
 * A branch bank's history as a new user would upload it: the types are `cash_deposit`,
 * `cash_withdrawal`, `wire_out` and `card_payment`, approvals are recorded as `approver` and wire
 * originators as `originator_name` (not the rule vocabulary's words). Built so that each draft of
 * docs/corpus/aml-branch-policy.md has a known set of hits.
 */
export function branchTransactions(prefix = 'T') {
  const at = (day: number, hour: number) =>
    `2027-02-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
  const row = (id: string, occurred: string, amount: string, account: string, type: string, extra: object = {}) => ({
    id: `${prefix}-${id}`,
    occurred_at: occurred,
    amount,
    currency: 'USD',
    account,
    type,
    country: 'US',
    counterparty_country: 'US',
    channel: 'branch',
    ...extra,
  });
  return [
    // Clause 2.1 (over 10,000) and 2.2 (24-hour total over 10,000).
    row('D1', at(1, 9), '12000.00', 'ACC-1', 'cash_deposit'),
    // Clause 2.2 only: each under 10,000, together 12,000 within 24 hours.
    row('D2', at(2, 9), '6000.00', 'ACC-2', 'cash_deposit'),
    row('D3', at(2, 15), '6000.00', 'ACC-2', 'cash_deposit'),
    row('D4', at(3, 9), '500.00', 'ACC-3', 'cash_deposit'),
    // Clause 2.3: withdrawals over 5,000 without an approver (W2 has one); W3 is no deposit for 2.1.
    row('W1', at(4, 9), '7000.00', 'ACC-1', 'cash_withdrawal'),
    row('W2', at(4, 10), '8000.00', 'ACC-2', 'cash_withdrawal', { attributes: { approver: 'M-7' } }),
    row('W3', at(4, 11), '12000.00', 'ACC-4', 'cash_withdrawal'),
    // Clause 3.1: international wires over 3,000 without originator information; X3 is domestic.
    row('X1', at(5, 9), '4000.00', 'ACC-5', 'wire_out', {
      counterparty_country: 'MX',
      attributes: { originator_name: 'Ana Ruiz' },
    }),
    row('X2', at(5, 10), '5000.00', 'ACC-5', 'wire_out', { counterparty_country: 'MX' }),
    row('X3', at(5, 11), '9000.00', 'ACC-6', 'wire_out'),
    row('X4', at(6, 9), '3500.00', 'ACC-7', 'wire_out', { counterparty_country: 'CA' }),
    row('X5', at(6, 10), '3500.00', 'ACC-8', 'wire_out', { counterparty_country: 'CA' }),
    row('X6', at(6, 11), '3500.00', 'ACC-9', 'wire_out', { counterparty_country: 'GB' }),
    // Everyday card spending: no clause applies.
    ...Array.from({ length: 20 }, (_, n) =>
      row(`C${n + 1}`, at(7 + (n % 10), 12), `${40 + n}.00`, `ACC-${10 + (n % 5)}`, 'card_payment', {
        channel: 'pos',
      }),
    ),
  ];
}
