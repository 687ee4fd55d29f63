import { strToU8, zipSync } from 'fflate';
import { PDFDocument, rgb } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import aml from '../docs/corpus/aml-cash-policy.md?raw';
import dataProtection from '../docs/corpus/data-protection-policy.md?raw';
import procurement from '../docs/corpus/procurement-policy.md?raw';
import travel from '../docs/corpus/travel-expenses-policy.md?raw';
import { diffClauses, splitClauses } from '../worker/policies/extraction/clauses';
import { extractDraftRules } from '../worker/policies/extraction/extract-rules';
import { PolicyFileError, type PolicyFileErrorCode } from '../worker/policies/extraction/file-error';
import { parseNumeral, wordsToNumber } from '../worker/policies/extraction/numbers';
import { type DraftRule, draftRuleSchema } from '../worker/policies/extraction/schemas';
import { extractPolicyText } from '../worker/policies/extraction/text';
import type { Condition } from '../worker/rules/language';
import { encryptedPdf, oleFile, pdfOf } from './policies.api.fixtures';
import { CONTRACT_STRUCTURING } from './rules-fixtures';

const cash = { field: 'type', op: 'eq', value: 'cash' };
const wire = { field: 'type', op: 'eq', value: 'wire' };
const usd = { field: 'currency', op: 'eq', value: 'USD' };
const approvalMissing = { field: 'attributes.approved_by', op: 'missing' };

describe('happy', () => {
  describe('corpus', () => {
    it('reads the AML policy: CTR threshold, daily aggregation, structuring, sanctions, high-risk countries, velocity', () => {
      const drafts = draftsOf(aml);
      expect(drafts.map((draft) => draft.clause_ref)).toEqual(['3.1', '3.2', '4.1', '5.1', '5.2', '6.1', '6.2', '6.3']);
      expect(conditionOf(drafts, '3.1')).toEqual({ all: [cash, usd, { field: 'amount', op: 'gt', value: 10000 }] });
      expect(conditionOf(drafts, '3.2')).toEqual({
        all: [
          cash,
          usd,
          {
            aggregate: { fn: 'sum', field: 'amount', group_by: ['account'], window: '1d', where: { all: [cash, usd] } },
            op: 'gt',
            value: 10000,
          },
        ],
      });
      const band = { field: 'amount', op: 'between', value: [9000, 9999.99] };
      expect(conditionOf(drafts, '4.1')).toEqual({
        all: [
          cash,
          usd,
          band,
          {
            aggregate: { fn: 'count', group_by: ['account'], window: '7d', where: { all: [cash, usd, band] } },
            op: 'gte',
            value: 3,
          },
        ],
      });
      expect(conditionOf(drafts, '5.1')).toEqual({
        all: [wire, { field: 'counterparty_country', op: 'in', value: ['IR', 'KP', 'SY', 'CU'] }],
      });
      expect(conditionOf(drafts, '5.2')).toEqual({
        all: [
          { field: 'counterparty_country', op: 'in', value: ['MM', 'RU', 'VE', 'YE', 'SS'] },
          usd,
          { field: 'amount', op: 'gt', value: 5000 },
          { any: [approvalMissing, { field: 'attributes.due_diligence', op: 'missing' }] },
        ],
      });
      expect(conditionOf(drafts, '6.1')).toEqual({
        aggregate: { fn: 'count', group_by: ['account'], window: '24h' },
        op: 'gt',
        value: 10,
      });
      expect(conditionOf(drafts, '6.2')).toEqual({
        all: [
          wire,
          usd,
          {
            aggregate: {
              fn: 'sum',
              field: 'amount',
              group_by: ['account'],
              window: '30d',
              where: { all: [wire, usd] },
            },
            op: 'gt',
            value: 50000,
          },
        ],
      });
      expect(conditionOf(drafts, '6.3')).toEqual({
        aggregate: { fn: 'count_distinct', field: 'account', group_by: ['counterparty'], window: '48h' },
        op: 'gte',
        value: 5,
      });
      expect(draftOf(drafts, '3.1')).toMatchObject({
        name: 'Cash transactions over USD 10,000',
        severity: 'high',
        source_text:
          'Any cash transaction exceeding USD 10,000 must be reported to the Financial Intelligence Unit through a Currency Transaction Report within 15 days.',
      });
      expect(draftOf(drafts, '5.1').severity).toBe('critical');
    });

    it('reads the travel policy: approval above a threshold, self-approval, receipts, caps, daily meal limit, sanctioned countries', () => {
      const drafts = draftsOf(travel);
      expect(drafts.map((draft) => draft.clause_ref)).toEqual(['2.1', '2.2', '3.2', '4.1', '4.2', '5.1', '5.3']);
      expect(conditionOf(drafts, '2.1')).toEqual({
        all: [usd, { field: 'amount', op: 'gt', value: 500 }, approvalMissing],
      });
      expect(conditionOf(drafts, '2.2')).toEqual({
        field: 'attributes.approved_by',
        op: 'eq',
        other_field: 'attributes.requested_by',
      });
      expect(conditionOf(drafts, '3.2')).toEqual({
        all: [
          { field: 'attributes.category', op: 'eq', value: 'taxi' },
          usd,
          { field: 'amount', op: 'gt', value: 100 },
          { field: 'attributes.receipt', op: 'missing' },
        ],
      });
      const lodging = { field: 'attributes.category', op: 'eq', value: 'lodging' };
      expect(conditionOf(drafts, '4.1')).toEqual({ all: [lodging, usd, { field: 'amount', op: 'gt', value: 250 }] });
      const meals = { field: 'attributes.category', op: 'eq', value: 'meals' };
      expect(conditionOf(drafts, '4.2')).toEqual({
        all: [
          meals,
          usd,
          {
            aggregate: {
              fn: 'sum',
              field: 'amount',
              group_by: ['account'],
              window: '1d',
              where: { all: [meals, usd] },
            },
            op: 'gt',
            value: 75,
          },
        ],
      });
      expect(conditionOf(drafts, '5.3')).toEqual({ field: 'country', op: 'in', value: ['IR', 'KP', 'SY', 'CU'] });
      expect(draftOf(drafts, '4.1').confidence).toBeLessThan(draftOf(drafts, '4.2').confidence);
      expect(draftOf(drafts, '4.1').reason).toContain('"per night"');
    });

    it('reads the procurement policy: approvals, quotations, vendor spend, split purchases, segregation of duties', () => {
      const drafts = draftsOf(procurement);
      expect(drafts.map((draft) => draft.clause_ref)).toEqual(['2.2', '2.3', '3.1', '3.2', '4.1', '5.1', '5.2', '6.1']);
      expect(conditionOf(drafts, '2.2')).toEqual({
        all: [usd, { field: 'amount', op: 'gt', value: 5000 }, approvalMissing],
      });
      expect(conditionOf(drafts, '2.3')).toEqual({
        all: [
          usd,
          { field: 'amount', op: 'gt', value: 25000 },
          {
            any: [
              { field: 'attributes.quotes', op: 'missing' },
              { field: 'attributes.quotes', op: 'lt', value: 3 },
            ],
          },
        ],
      });
      expect(conditionOf(drafts, '3.1')).toEqual({
        aggregate: { fn: 'sum', field: 'amount', group_by: ['counterparty'], window: '30d' },
        op: 'gt',
        value: 25000,
      });
      expect(conditionOf(drafts, '3.2')).toEqual({
        aggregate: { fn: 'count', group_by: ['counterparty'], window: '7d' },
        op: 'gt',
        value: 20,
      });
      const below = [usd, { field: 'amount', op: 'lt', value: 5000 }];
      expect(conditionOf(drafts, '4.1')).toEqual({
        all: [
          ...below,
          {
            aggregate: { fn: 'count', group_by: ['counterparty'], window: '14d', where: { all: below } },
            op: 'gte',
            value: 2,
          },
          {
            aggregate: { fn: 'sum', field: 'amount', group_by: ['counterparty'], window: '14d', where: { all: below } },
            op: 'gt',
            value: 5000,
          },
        ],
      });
      expect(conditionOf(drafts, '5.1')).toEqual({
        field: 'attributes.approved_by',
        op: 'eq',
        other_field: 'attributes.requested_by',
      });
      expect(conditionOf(drafts, '5.2')).toEqual({
        field: 'counterparty',
        op: 'eq',
        other_field: 'attributes.approved_by',
      });
      expect(conditionOf(drafts, '6.1')).toEqual({
        field: 'counterparty_country',
        op: 'in',
        value: ['RU', 'BY', 'IR'],
      });
    });

    it('reads the data protection policy: only the two transfer rules are enforceable on transactions', () => {
      const drafts = draftsOf(dataProtection);
      const personalData = { field: 'attributes.personal_data', op: 'eq', value: true };
      expect(drafts.map((draft) => draft.clause_ref)).toEqual(['4.2', '4.3']);
      expect(conditionOf(drafts, '4.2')).toEqual({
        all: [
          personalData,
          { field: 'counterparty_country', op: 'in', value: ['IN', 'CN', 'BR'] },
          { any: [approvalMissing, { field: 'attributes.scc', op: 'missing' }] },
        ],
      });
      expect(conditionOf(drafts, '4.3')).toEqual({
        all: [personalData, { field: 'counterparty_country', op: 'in', value: ['IR', 'KP', 'SY'] }],
      });
      expect(draftOf(drafts, '4.3').severity).toBe('critical');
    });

    it('cites a clause and quotes one of its sentences in every draft, in the draft schema', () => {
      for (const document of [aml, travel, procurement, dataProtection]) {
        const clauses = splitClauses(document);
        for (const draft of extractDraftRules(clauses)) {
          expect(draftRuleSchema.parse(draft)).toEqual(draft);
          expect(clauses.find((clause) => clause.key === draft.clause_ref)?.text).toContain(draft.source_text);
          expect(draft.reason).not.toBe('');
        }
      }
    });

    it('gives the same drafts for the same text', () => {
      expect(draftsOf(aml)).toEqual(draftsOf(aml));
    });
  });

  describe('numbers, currencies and comparisons', () => {
    it.each([
      ['three', 3],
      ['ten thousand', 10000],
      ['twenty-five thousand', 25000],
      ['one hundred and fifty', 150],
      ['a million', 1000000],
      ['two lakh', 200000],
    ])('reads "%s" as %d', (words, value) => {
      expect(wordsToNumber(words)).toBe(value);
    });

    it.each([
      ['10,000', false, 10000],
      ['10 000', false, 10000],
      ['9,999.99', false, 9999.99],
      ['5.000,00', true, 5000],
      ['10.000', true, 10000],
      ['10.000', false, 10],
      ['1,00,000', true, 100000],
      ['2.5', false, 2.5],
      ['9,99', true, 9.99],
    ])('reads the numeral %s (money: %s) as %d', (raw, money, value) => {
      expect(parseNumeral(raw, money)).toBe(value);
    });

    it.each([
      ['Any payment over USD 10,000 must be reported.', 'USD', 10000],
      ['Any payment over $10,000 must be reported.', 'USD', 10000],
      ['Any payment over 10,000 USD must be reported.', 'USD', 10000],
      ['Any payment over ten thousand dollars must be reported.', 'USD', 10000],
      ['Any payment over EUR 5.000,00 must be reported.', 'EUR', 5000],
      ['Any payment over €5.000 must be reported.', 'EUR', 5000],
      ['Any payment over £2,500.50 must be reported.', 'GBP', 2500.5],
      ['Any payment over INR 10,00,000 must be reported.', 'INR', 1000000],
      ['Any payment over ₹2 lakh must be reported.', 'INR', 200000],
      ['Any payment over USD 10k must be reported.', 'USD', 10000],
      ['Any payment over USD 1.5 million must be reported.', 'USD', 1500000],
    ])('reads the amount in "%s"', (sentence, currency, amount) => {
      expect(onlyRule(sentence).condition).toEqual({
        all: [
          { field: 'currency', op: 'eq', value: currency },
          { field: 'amount', op: 'gt', value: amount },
        ],
      });
    });

    it.each([
      ['Payments exceeding 1,000 must be reported.', 'gt'],
      ['Payments above 1,000 must be reported.', 'gt'],
      ['Payments over 1,000 must be reported.', 'gt'],
      ['Payments of more than 1,000 must be reported.', 'gt'],
      ['Payments greater than 1,000 must be reported.', 'gt'],
      ['Payments in excess of 1,000 must be reported.', 'gt'],
      ['Payments of at least 1,000 must be reported.', 'gte'],
      ['Payments of not less than 1,000 must be reported.', 'gte'],
      ['Payments of 1,000 or more must be reported.', 'gte'],
      ['Payments below 1,000 must be reported.', 'lt'],
      ['Payments under 1,000 must be reported.', 'lt'],
      ['Payments of less than 1,000 must be reported.', 'lt'],
      ['Payments must not exceed 1,000.', 'gt'],
      ['Payments must never exceed 1,000.', 'gt'],
      ['Payments may not be more than 1,000.', 'gt'],
      ['Payments are limited to 1,000.', 'gt'],
      ['Payments must be at least 1,000.', 'lt'],
      ['Payments must be 1,000 or less.', 'gt'],
    ])('turns "%s" into amount %s 1000 (the violation)', (sentence, op) => {
      expect(onlyRule(sentence).condition).toEqual({ field: 'amount', op, value: 1000 });
    });

    it('reads counts with their comparison: at least 3 is gte 3, more than 10 is gt 10, no more than three is gt 3', () => {
      const atLeast = onlyRule('At least 3 cash deposits into one account within 7 days must be escalated.');
      expect(atLeast.condition).toEqual({
        all: [
          cash,
          { aggregate: { fn: 'count', group_by: ['account'], window: '7d', where: cash }, op: 'gte', value: 3 },
        ],
      });
      expect(onlyRule('More than 10 transactions within 24 hours must be reviewed.').condition).toEqual({
        aggregate: { fn: 'count', group_by: ['account'], window: '24h' },
        op: 'gt',
        value: 10,
      });
      expect(
        onlyRule('No more than three cash withdrawals per day are allowed from one account.').condition,
      ).toMatchObject({
        all: [cash, { aggregate: { fn: 'count', window: '1d' }, op: 'gt', value: 3 }],
      });
    });

    it('lowers confidence for what it had to assume, and says so', () => {
      const assumed = onlyRule('More than 10 transactions within 24 hours must be reviewed.');
      const stated = onlyRule('More than 10 transactions from one account within 24 hours must be reviewed.');
      expect(assumed.confidence).toBeLessThan(stated.confidence);
      expect(assumed.reason).toContain('assumed: grouped per account');
    });

    it('reads the structuring example shape, with "multiple" as two or more', () => {
      const rule = onlyRule(
        'Multiple cash deposits just below the reporting threshold of 10,000 within 7 days must be escalated.',
      );
      const band = { field: 'amount', op: 'between', value: [9000, 9999.99] };
      expect(rule.condition).toEqual({
        all: [
          cash,
          band,
          {
            aggregate: { fn: 'count', group_by: ['account'], window: '7d', where: { all: [cash, band] } },
            op: 'gte',
            value: 2,
          },
        ],
      });
    });

    it("turns the contract's structuring sentence into the contract's structuring rule", () => {
      const rule = onlyRule(
        'Three or more cash deposits between 9,000 and 9,999.99 from one account in seven days must be escalated.',
      );
      expect(rule.condition).toEqual(CONTRACT_STRUCTURING);
    });

    it('drafts with low confidence what it only partly understood, and says what it left out', () => {
      const refunds = onlyRule('Refunds over USD 1,000 must be reviewed by Finance.');
      expect(refunds.confidence).toBeLessThanOrEqual(0.65);
      expect(refunds.reason).toContain('"refunds"');
      const approvals = onlyRule('Fewer than 2 approvals is not permitted for payments over USD 1,000.');
      expect(approvals.confidence).toBeLessThanOrEqual(0.65);
      expect(approvals.reason).toContain('"fewer than 2 approvals" not understood');
    });

    it('maps country names and aliases to ISO codes', () => {
      expect(onlyRule('Payments to Burma, the DPRK, the UAE, the UK or the USA are prohibited.').condition).toEqual({
        field: 'counterparty_country',
        op: 'in',
        value: ['MM', 'KP', 'AE', 'GB', 'US'],
      });
      expect(onlyRule('Transfers to Syria, South Sudan or Côte d’Ivoire are prohibited.').condition).toMatchObject({
        value: ['SY', 'SS', 'CI'],
      });
    });

    it('proposes nothing for sentences that state no enforceable obligation', () => {
      for (const sentence of [
        'Records of cash transactions must be retained for at least five years.',
        'Every cash transaction exceeding USD 10,000 is recorded in the cash register.',
        'Corporate cards must not be used for cash withdrawals.',
        'Claims should be submitted within 30 days of the expense.',
        'Purchases up to USD 5,000 may be approved by the budget holder.',
        '"Cash transaction" means any deposit or withdrawal of physical currency above USD 10,000.',
        'Gifts to government officials are prohibited.',
        'The Company values integrity.',
      ]) {
        expect(extractDraftRules([{ key: '1', text: sentence }]), sentence).toEqual([]);
      }
    });
  });

  describe('clauses', () => {
    it('recognizes decimal, named, lettered and Markdown numbering, with spans into the text', () => {
      const text = [
        '# Payments Standard',
        '',
        'Introductory paragraph.',
        '',
        '## 3. Cash',
        '1. First listed item.',
        '2. Second listed item.',
        'Section 4. Wires',
        '(a) Domestic wires.',
        '(b) International wires.',
        '(i) Above the limit.',
        'Article 5: Records',
        '2.3.1 A deep clause',
        'that wraps onto a second line.',
      ].join('\n');
      const clauses = splitClauses(text);
      expect(clauses.map((clause) => [clause.key, clause.number, clause.heading])).toEqual([
        ['p1', '¶1', 'Payments Standard'],
        ['p2', '¶2', undefined],
        ['3', '3', 'Cash'],
        ['3.1', '3.1', undefined],
        ['3.2', '3.2', undefined],
        ['section-4', 'Section 4', 'Wires'],
        ['section-4-a', 'Section 4(a)', undefined],
        ['section-4-b', 'Section 4(b)', undefined],
        ['section-4-b-i', 'Section 4(b)(i)', undefined],
        ['article-5', 'Article 5', 'Records'],
        ['2.3.1', '2.3.1', undefined],
      ]);
      for (const clause of clauses) expect(text.slice(clause.start, clause.end)).toBe(clause.text);
      expect(clauses.at(-1)?.text).toBe('A deep clause\nthat wraps onto a second line.');
    });

    it('keeps clause keys stable across an edited version, so versions diff clause by clause', () => {
      const edited = aml
        .replace('exceeding USD 10,000 must be reported', 'exceeding USD 15,000 must be reported')
        .replace(
          '3.3 Branch staff',
          '3.4 Cash deposited by a third party must be recorded with the depositor identity.\n\n3.3 Branch staff',
        )
        .replace(/\n7\.2 [^\n]*\n/, '\n');
      const before = splitClauses(aml);
      const after = splitClauses(edited);
      const diff = diffClauses(before, after);
      expect(diff.added.map((clause) => clause.key)).toEqual(['3.4']);
      expect(diff.removed.map((clause) => clause.key)).toEqual(['7.2']);
      expect(diff.changed.map(({ after: clause }) => clause.key)).toEqual(['3.1']);
      const unchanged = after.filter((clause) => !['3.1', '3.4'].includes(clause.key));
      for (const clause of unchanged) expect(before.find((old) => old.key === clause.key)?.text).toBe(clause.text);
    });
  });

  describe('files', () => {
    it('reads Markdown and plain text as they are', async () => {
      expect(await extractPolicyText(strToU8(aml), 'aml.md')).toEqual({ text: aml.trim(), format: 'markdown' });
      expect(await extractPolicyText(strToU8('1. Hello\r\n'), 'policy', 'text/plain; charset=utf-8')).toEqual({
        text: '1. Hello',
        format: 'text',
      });
    });

    it('decodes UTF-16 with a byte-order mark and legacy Windows-1252 text', async () => {
      const utf16le = new Uint8Array([0xff, 0xfe, ...Array.from('1. Café', (char) => [char.charCodeAt(0), 0]).flat()]);
      const utf16be = new Uint8Array([0xfe, 0xff, ...Array.from('1. Café', (char) => [0, char.charCodeAt(0)]).flat()]);
      const windows1252 = new Uint8Array([...strToU8('1. '), 0x93, ...strToU8('Caf'), 0xe9, 0x94]);
      expect((await extractPolicyText(utf16le, 'a.txt')).text).toBe('1. Café');
      expect((await extractPolicyText(utf16be, 'a.txt')).text).toBe('1. Café');
      expect((await extractPolicyText(windows1252, 'a.txt')).text).toBe('1. “Café”');
    });

    it('extracts a PDF of the AML policy to the same draft rules as the Markdown', async () => {
      const extracted = await extractPolicyText(await pdfOf(aml), 'aml.pdf', 'application/pdf');
      expect(extracted.format).toBe('pdf');
      expect(extracted.text).toContain('3.1 Any cash transaction exceeding USD 10,000 must be reported');
      expect(sameDrafts(draftsOf(extracted.text))).toEqual(sameDrafts(draftsOf(aml)));
    });

    it('extracts a DOCX of the AML policy to the same draft rules as the Markdown', async () => {
      const extracted = await extractPolicyText(docxOf(aml), 'aml.docx');
      expect(extracted.format).toBe('docx');
      expect(sameDrafts(draftsOf(extracted.text))).toEqual(sameDrafts(draftsOf(aml)));
    });

    it('detects the format by its bytes, whatever the name says', async () => {
      expect((await extractPolicyText(docxOf('1. Only clause.'), 'policy.pdf')).format).toBe('docx');
      expect((await extractPolicyText(await pdfOf('1. Only clause.'), 'policy.txt')).format).toBe('pdf');
    });

    it('renders Word list numbering, tabs, breaks and entities', async () => {
      const document = wordDocument([
        paragraph('Cash &amp; wires', { numId: 1, level: 0 }),
        paragraph('Any cash transaction exceeding USD 10,000 must be reported.', { numId: 1, level: 1 }),
        paragraph('Wires &lt;above&gt; USD 5,000 need approval.', { numId: 1, level: 1 }),
        paragraph('Sanctions', { numId: 1, level: 0 }),
        '<w:p><w:r><w:t>Column</w:t></w:r><w:r><w:tab/><w:t>value</w:t><w:br/><w:t>next line</w:t></w:r></w:p>',
      ]);
      const numbering = `<w:numbering ${WORD_NAMESPACE}><w:abstractNum w:abstractNumId="7">
        <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
        <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl>
        </w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="7"/></w:num></w:numbering>`;
      const { text } = await extractPolicyText(docx(document, numbering), 'numbered.docx');
      expect(text).toBe(
        '1. Cash & wires\n\n1.1 Any cash transaction exceeding USD 10,000 must be reported.\n\n1.2 Wires <above> USD 5,000 need approval.\n\n2. Sanctions\n\nColumn\tvalue\nnext line',
      );
      expect(splitClauses(text).map((clause) => clause.key)).toEqual(['1', '1.1', '1.2', '2']);
    });
  });
});

describe('errors', () => {
  it('says a PDF with pages but no text layer has no text layer', async () => {
    const pdf = await PDFDocument.create();
    pdf.addPage().drawRectangle({ x: 50, y: 50, width: 400, height: 600, color: rgb(0.8, 0.8, 0.8) });
    await expectFileError(extractPolicyText(await pdf.save(), 'scan.pdf'), 'no_text_layer', /no text layer/);
  });

  it('refuses a password-protected PDF as encrypted', async () => {
    await expectFileError(extractPolicyText(await encryptedPdf(), 'secret.pdf'), 'encrypted', /password-protected/);
  });

  it('refuses a password-protected DOCX (an OLE compound file) as encrypted', async () => {
    await expectFileError(
      extractPolicyText(oleFile('EncryptionInfo'), 'secret.docx'),
      'encrypted',
      /password-protected/,
    );
    await expectFileError(
      extractPolicyText(oleFile('EncryptionInfo'), 'upload.bin'),
      'encrypted',
      /password-protected/,
    );
  });

  it.each([
    ['policy.pdf', 'a PDF header'],
    ['policy.docx', 'not a zip'],
    ['policy.txt', 'garbled'],
  ])('refuses random bytes named %s as corrupt', async (name, reason) => {
    await expectFileError(extractPolicyText(randomBytes(4096), name), 'corrupt', new RegExp(reason));
  });

  it('refuses a truncated PDF, a damaged zip and a DOCX without its document as corrupt', async () => {
    const truncated = (await pdfOf(aml)).slice(0, 400);
    await expectFileError(extractPolicyText(truncated, 'aml.pdf'), 'corrupt', /damaged/);
    const damagedZip = docxOf(aml).slice(0, 200);
    await expectFileError(extractPolicyText(damagedZip, 'aml.docx'), 'corrupt', /damaged/);
    const notWord = zipSync({ 'xl/workbook.xml': strToU8('<workbook/>') });
    await expectFileError(extractPolicyText(notWord, 'aml.docx'), 'corrupt', /word\/document\.xml/);
  });

  it.each([
    ['an image', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'photo.png', /PNG image/],
    ['an executable', new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03]), 'policy.pdf', /Windows executable/],
    ['a legacy Word file', oleFile('WordDocument'), 'policy.doc', /legacy Office/],
    ['a zip that is not a Word document', zipSync({ 'a.txt': strToU8('hello') }), 'archive.zip', /not a Word document/],
    ['a text file of an unknown type', strToU8('id,amount\n1,2\n'), 'data.csv', /not supported/],
  ])('refuses %s as unsupported', async (_, bytes, name, reason) => {
    await expectFileError(extractPolicyText(bytes, name), 'unsupported', reason);
  });

  it('refuses an empty text file', async () => {
    await expectFileError(extractPolicyText(new Uint8Array(), 'empty.txt'), 'corrupt', /no text/);
  });
});

function draftsOf(text: string): DraftRule[] {
  return extractDraftRules(splitClauses(text));
}

function draftOf(drafts: DraftRule[], clauseKey: string): DraftRule {
  const found = drafts.filter((draft) => draft.clause_ref === clauseKey);
  expect(found, `drafts of clause ${clauseKey}`).toHaveLength(1);
  return found[0] as DraftRule;
}

function conditionOf(drafts: DraftRule[], clauseKey: string): Condition {
  return draftOf(drafts, clauseKey).condition;
}

function onlyRule(sentence: string): DraftRule {
  const drafts = extractDraftRules([{ key: '1', text: sentence }]);
  expect(drafts, sentence).toHaveLength(1);
  return drafts[0] as DraftRule;
}

/** What must survive a change of file format: which clause each rule cites and what it checks. */
function sameDrafts(drafts: DraftRule[]) {
  return drafts.map(({ clause_ref, condition, severity }) => ({ clause_ref, condition, severity }));
}

async function expectFileError(promise: Promise<unknown>, code: PolicyFileErrorCode, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(PolicyFileError);
  expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
}

const WORD_NAMESPACE = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';

function paragraph(escapedText: string, list?: { numId: number; level: number }): string {
  const properties = list
    ? `<w:pPr><w:numPr><w:ilvl w:val="${list.level}"/><w:numId w:val="${list.numId}"/></w:numPr></w:pPr>`
    : '';
  return `<w:p>${properties}<w:r><w:t xml:space="preserve">${escapedText}</w:t></w:r></w:p>`;
}

function wordDocument(paragraphs: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${WORD_NAMESPACE}><w:body>${paragraphs.join('')}</w:body></w:document>`;
}

/** A minimal DOCX package: content types, relationships, the document and optionally its numbering. */
function docx(document: string, numbering?: string): Uint8Array {
  const contentTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
    <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
    <Default Extension="xml" ContentType="application/xml"/>
    <Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
  const relationships = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
    <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;
  return zipSync({
    '[Content_Types].xml': strToU8(contentTypes),
    '_rels/.rels': strToU8(relationships),
    'word/document.xml': strToU8(document),
    ...(numbering ? { 'word/numbering.xml': strToU8(numbering) } : {}),
  });
}

/** Markdown as a DOCX: one Word paragraph per Markdown paragraph, headings without their `#`. */
function docxOf(markdown: string): Uint8Array {
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const paragraphs = markdown
    .split(/\n\s*\n/)
    .map((block) => block.replace(/^#+\s*/, '').trim())
    .filter(Boolean)
    .map((block) => paragraph(escapeXml(block)));
  return docx(wordDocument(paragraphs));
}

/** Reproducible noise: a linear congruential generator, so a failure can be replayed. */
function randomBytes(length: number): Uint8Array {
  let state = 42;
  return Uint8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state >>> 16;
  });
}
