import type { CanonicalTransaction } from '../../worker/rules/language';

/**
 * The benchmark organization's history: a bank with a corporate expense and procurement book, in its
 * own vocabulary (`cash_deposit`, `wire_out`, `expense_claim`, `purchase_invoice`; categories
 * `meals_and_dining`, `hotel`, `flights`; attributes `approver`, `submitted_by`, `receipt_id`,
 * `quote_count`, `originator_name`, `contains_pii`, `scc_reference`, `edd_completed`). Everyday
 * activity from a seeded generator, plus the patterns each labelled rule is about, some of them just
 * on the other side of a threshold, so that a rule with another meaning flags other transactions.
 */
export function benchmarkTransactions(): CanonicalTransaction[] {
  const random = mulberry32(20270101);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const between = (low: number, high: number) => Math.round((low + random() * (high - low)) * 100) / 100;
  const start = Date.parse('2027-01-01T00:00:00Z');
  const rows: CanonicalTransaction[] = [];
  const add = (row: Omit<CanonicalTransaction, 'id' | 'currency' | 'amount'> & { amount: number; currency?: string }) =>
    rows.push({
      id: `T${String(rows.length + 1).padStart(5, '0')}`,
      currency: 'USD',
      country: 'US',
      counterparty_country: 'US',
      ...row,
      amount: row.amount.toFixed(2),
    });
  const at = (day: number, hour = 9 + Math.floor(random() * 8), minute = Math.floor(random() * 60)) =>
    new Date(start + ((day * 24 + hour) * 60 + minute) * 60_000).toISOString();
  const accounts = Array.from({ length: 40 }, (_, n) => `ACC-${String(n + 1).padStart(3, '0')}`);
  const employees = Array.from({ length: 20 }, (_, n) => `EMP-${String(n + 1).padStart(2, '0')}`);
  const vendors = Array.from({ length: 15 }, (_, n) => `VEND-${String(n + 1).padStart(2, '0')}`);
  const merchants = Array.from({ length: 30 }, (_, n) => `MER-${String(n + 1).padStart(2, '0')}`);
  const abroad = ['MX', 'GB', 'CA', 'DE'];

  // Everyday banking, spread over 60 days and kept under every threshold.
  for (let n = 0; n < 150; n++)
    add({
      occurred_at: at(n % 60),
      amount: between(100, 4500),
      account: pick(accounts),
      type: 'cash_deposit',
      channel: 'branch',
    });
  for (let n = 0; n < 80; n++)
    add({
      occurred_at: at(n % 60),
      amount: between(100, 4000),
      account: pick(accounts),
      type: 'cash_withdrawal',
      channel: 'branch',
    });
  for (let n = 0; n < 100; n++) {
    const international = random() < 0.3;
    add({
      occurred_at: at(n % 60),
      amount: between(500, 8000),
      account: pick(accounts),
      counterparty: `BEN-${n % 25}`,
      type: 'wire_out',
      counterparty_country: international ? pick(abroad) : 'US',
      channel: 'online',
      attributes: international ? { originator_name: `Customer ${n}` } : {},
    });
  }
  for (let n = 0; n < 30; n++)
    add({
      occurred_at: at(n * 2),
      amount: between(500, 6000),
      account: pick(accounts),
      counterparty: `REM-${n}`,
      type: 'wire_in',
      counterparty_country: pick(abroad),
      attributes: { originator_name: `Remitter ${n}` },
    });
  for (let n = 0; n < 300; n++)
    add({
      occurred_at: at(n % 60),
      amount: between(5, 2000),
      account: pick(accounts),
      counterparty: pick(merchants),
      type: 'card_payment',
      channel: 'pos',
      currency: n % 15 === 0 ? 'EUR' : 'USD',
    });
  for (let n = 0; n < 50; n++)
    add({
      occurred_at: at(n % 60),
      amount: between(20, 900),
      account: pick(accounts),
      counterparty: `UTIL-${n % 5}`,
      type: 'ach_debit',
    });

  // Expense claims, in their categories, approved and receipted as a careful employee would.
  const categories: [string, number, number][] = [
    ['meals_and_dining', 8, 40],
    ['hotel', 90, 240],
    ['flights', 150, 1400],
    ['taxi', 10, 90],
    ['car_hire', 40, 110],
    ['client_entertainment', 30, 190],
    ['gifts', 10, 60],
  ];
  for (let n = 0; n < 210; n++) {
    const [category, low, high] = categories[n % categories.length]!;
    const employee = pick(employees);
    add({
      occurred_at: at(n % 60),
      amount: between(low, high),
      account: employee,
      type: 'expense_claim',
      channel: 'erp',
      attributes: { category, submitted_by: employee, approver: 'MGR-1', receipt_id: `R-${n}` },
    });
  }
  // Purchase invoices from vendors, under the approval threshold, approved anyway.
  for (let n = 0; n < 200; n++) {
    const vendor = vendors[n % vendors.length]!;
    add({
      occurred_at: at((n * 7) % 60),
      amount: between(200, 1800),
      account: 'ACC-AP',
      counterparty: vendor,
      type: 'purchase_invoice',
      channel: 'erp',
      attributes: { po_number: `PO-${n}`, submitted_by: `BUY-${n % 4}`, approver: 'FIN-1' },
    });
  }

  // The patterns the clauses are about.
  // aml-1: deposits over 10,000 (a withdrawal over 10,000 is no deposit).
  for (const day of [3, 17, 41])
    add({ occurred_at: at(day), amount: between(10500, 20000), account: pick(accounts), type: 'cash_deposit' });
  add({
    occurred_at: at(22),
    amount: 15000,
    account: 'ACC-030',
    type: 'cash_withdrawal',
    attributes: { approver: 'BM-2' },
  });
  // aml-2: two deposits within 24 hours totalling over 10,000; another pair 30 hours apart does not.
  add({ occurred_at: at(5, 9), amount: 6000, account: 'ACC-101', type: 'cash_deposit' });
  add({ occurred_at: at(5, 18), amount: 5500, account: 'ACC-101', type: 'cash_deposit' });
  add({ occurred_at: at(8, 9), amount: 6000, account: 'ACC-102', type: 'cash_deposit' });
  add({ occurred_at: at(9, 15), amount: 6000, account: 'ACC-102', type: 'cash_deposit' });
  // aml-3: withdrawals over 5,000, one approved.
  add({ occurred_at: at(12), amount: 7200, account: 'ACC-103', type: 'cash_withdrawal' });
  add({ occurred_at: at(13), amount: 5600, account: 'ACC-104', type: 'cash_withdrawal' });
  add({
    occurred_at: at(14),
    amount: 9000,
    account: 'ACC-105',
    type: 'cash_withdrawal',
    attributes: { approver: 'BM-1' },
  });
  // aml-4: international wires without originator; a domestic one over 3,000 needs none.
  add({
    occurred_at: at(15),
    amount: 4200,
    account: 'ACC-106',
    counterparty: 'BEN-X1',
    type: 'wire_out',
    counterparty_country: 'GB',
  });
  add({
    occurred_at: at(16),
    amount: 3900,
    account: 'ACC-107',
    counterparty: 'REM-X2',
    type: 'wire_in',
    counterparty_country: 'MX',
  });
  // aml-5 and sanc-1: wires to or from embargoed countries, and a card payment with a Russian merchant.
  add({
    occurred_at: at(18),
    amount: 2500,
    account: 'ACC-108',
    counterparty: 'BEN-IR',
    type: 'wire_out',
    counterparty_country: 'IR',
    attributes: { originator_name: 'C' },
  });
  add({
    occurred_at: at(19),
    amount: 1800,
    account: 'ACC-109',
    counterparty: 'REM-CU',
    type: 'wire_in',
    counterparty_country: 'CU',
    attributes: { originator_name: 'D' },
  });
  add({
    occurred_at: at(20),
    amount: 900,
    account: 'ACC-110',
    counterparty: 'MER-RU',
    type: 'card_payment',
    counterparty_country: 'RU',
  });
  add({
    occurred_at: at(21),
    amount: 1200,
    account: 'ACC-111',
    counterparty: 'BEN-BY',
    type: 'wire_out',
    counterparty_country: 'BY',
    attributes: { originator_name: 'E' },
  });
  // aml-6: three deposits just below 10,000 in a week (and an account with only two).
  for (const day of [24, 26, 29])
    add({ occurred_at: at(day), amount: between(9100, 9900), account: 'ACC-112', type: 'cash_deposit' });
  for (const day of [24, 27])
    add({ occurred_at: at(day), amount: between(9100, 9900), account: 'ACC-113', type: 'cash_deposit' });
  // aml-7: twelve card payments from one account in a day.
  for (let n = 0; n < 12; n++)
    add({
      occurred_at: at(33, 8 + n, 5),
      amount: between(20, 90),
      account: 'ACC-114',
      counterparty: pick(merchants),
      type: 'card_payment',
    });
  // aml-8: six accounts paying one beneficiary within two days.
  for (let n = 0; n < 6; n++)
    add({
      occurred_at: at(35, 9 + n * 6),
      amount: between(900, 1500),
      account: `ACC-${120 + n}`,
      counterparty: 'BEN-MULE',
      type: 'wire_out',
    });
  // aml-13 and aml-14: a large card payment (and a large one in EUR), crypto transfers.
  add({ occurred_at: at(37), amount: 24000, account: 'ACC-115', counterparty: 'MER-JEWEL', type: 'card_payment' });
  add({
    occurred_at: at(37),
    amount: 26000,
    account: 'ACC-116',
    counterparty: 'MER-AUTO',
    type: 'card_payment',
    currency: 'EUR',
  });
  for (const day of [38, 44])
    add({ occurred_at: at(day), amount: between(300, 3000), account: pick(accounts), type: 'crypto_transfer' });

  const claim = (
    day: number,
    category: string,
    amount: number,
    employee: string,
    attributes: Record<string, unknown> = {},
  ) =>
    add({
      occurred_at: at(day),
      amount,
      account: employee,
      type: 'expense_claim',
      attributes: {
        category,
        submitted_by: employee,
        approver: 'MGR-1',
        receipt_id: `R-P${rows.length}`,
        ...attributes,
      },
    });
  // exp-1: meals over 75 in a day, one bill or several.
  claim(40, 'meals_and_dining', 92, 'EMP-31');
  claim(41, 'meals_and_dining', 45, 'EMP-32');
  claim(41, 'meals_and_dining', 41, 'EMP-32');
  // exp-2, trv-4: hotels over 250 without approval, over 300 approved.
  claim(42, 'hotel', 280, 'EMP-33', { approver: undefined });
  claim(43, 'hotel', 340, 'EMP-34');
  // exp-3: taxis over 100 without a receipt, and one with.
  claim(44, 'taxi', 130, 'EMP-35', { receipt_id: undefined });
  claim(44, 'taxi', 115, 'EMP-36');
  // exp-4, exp-5: claims over 500 without approval; self-approved claims.
  claim(45, 'flights', 640, 'EMP-37', { approver: undefined });
  claim(46, 'client_entertainment', 80, 'EMP-38', { approver: 'EMP-38' });
  claim(47, 'meals_and_dining', 30, 'EMP-39', { approver: 'EMP-39' });
  // exp-6: entertainment over 200 without approval.
  claim(48, 'client_entertainment', 260, 'EMP-40', { approver: undefined });
  // trv-1: air fares over 1,500 without approval, and one approved.
  claim(49, 'flights', 1850, 'EMP-41', { approver: undefined });
  claim(50, 'flights', 1700, 'EMP-42');
  // trv-2: car hire over 120 in a day.
  claim(51, 'car_hire', 75, 'EMP-43');
  claim(51, 'car_hire', 60, 'EMP-43');
  // trv-3: expenses incurred in Syria and Iran.
  add({
    occurred_at: at(52),
    amount: 90,
    account: 'EMP-44',
    type: 'expense_claim',
    country: 'SY',
    attributes: { category: 'meals_and_dining', submitted_by: 'EMP-44', approver: 'MGR-1', receipt_id: 'R-SY' },
  });
  add({
    occurred_at: at(53),
    amount: 35,
    account: 'EMP-45',
    type: 'expense_claim',
    country: 'IR',
    attributes: { category: 'taxi', submitted_by: 'EMP-45', approver: 'MGR-1', receipt_id: 'R-IR' },
  });

  const invoice = (day: number, vendor: string, amount: number, attributes: Record<string, unknown> = {}) =>
    add({
      occurred_at: at(day),
      amount,
      account: 'ACC-AP',
      counterparty: vendor,
      type: 'purchase_invoice',
      attributes: { po_number: `PO-P${rows.length}`, submitted_by: 'BUY-1', approver: 'FIN-1', ...attributes },
    });
  // proc-1: purchases over 5,000 without approval (and a withdrawal-free cash deposit over 5,000 is no purchase).
  invoice(20, 'VEND-20', 7400, { approver: undefined });
  invoice(21, 'VEND-21', 5200, { approver: undefined });
  // proc-2: over 25,000 with two quotations, with three, and without any; proc-3 follows from them.
  invoice(25, 'VEND-22', 31000, { quote_count: 2 });
  invoice(26, 'VEND-23', 28000, { quote_count: 3 });
  invoice(27, 'VEND-24', 27500);
  // proc-3: a vendor over 25,000 in 30 days from invoices each under it.
  for (const day of [30, 36, 42, 48]) invoice(day, 'VEND-25', 7000, { approver: 'FIN-2' });
  // proc-4: 22 invoices from one supplier in a week.
  for (let n = 0; n < 22; n++) invoice(54 + (n % 5), 'VEND-26', between(50, 400));
  // proc-5: three orders just under 5,000 to one vendor within 14 days.
  for (const day of [10, 14, 19]) invoice(day, 'VEND-27', 4800);
  // proc-6: a buyer approving their own purchase.
  invoice(31, 'VEND-28', 900, { submitted_by: 'BUY-9', approver: 'BUY-9' });

  // Data transfers to processors: personal data abroad with and without contractual clauses.
  const transfer = (day: number, country: string, pii: boolean, scc?: string) =>
    add({
      occurred_at: at(day),
      amount: between(1000, 4000),
      account: 'ACC-IT',
      counterparty: `PROC-${country}`,
      type: 'service_payment',
      counterparty_country: country,
      attributes: { contains_pii: pii, ...(scc ? { scc_reference: scc } : {}) },
    });
  transfer(11, 'IN', true);
  transfer(12, 'CN', true, 'SCC-2027-4');
  transfer(13, 'BR', false);
  transfer(14, 'BR', true);
  transfer(15, 'SY', true);
  transfer(16, 'KP', false);
  // sanc-2: high-risk counterparties over 5,000, with and without enhanced due diligence.
  add({
    occurred_at: at(23),
    amount: 8200,
    account: 'ACC-130',
    counterparty: 'BEN-MM',
    type: 'wire_out',
    counterparty_country: 'MM',
    attributes: { originator_name: 'F' },
  });
  add({
    occurred_at: at(24),
    amount: 12500,
    account: 'ACC-131',
    counterparty: 'BEN-VE',
    type: 'wire_out',
    counterparty_country: 'VE',
    attributes: { originator_name: 'G', edd_completed: 'yes' },
  });
  add({
    occurred_at: at(25),
    amount: 3000,
    account: 'ACC-132',
    counterparty: 'BEN-YE',
    type: 'wire_out',
    counterparty_country: 'YE',
    attributes: { originator_name: 'H' },
  });
  return rows.map((row) => ({ ...row, attributes: withoutUndefined(row.attributes ?? {}) }));
}

function withoutUndefined(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));
}

/** A small seeded generator: the same history on every run. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
