import fc from 'fast-check';
import {
  CODE_ALPHABET,
  CODE_RANDOM_BITS,
  generateVoucherCode,
  maskVoucherCode,
  normalizeVoucherCode,
} from '../../subgraphs/benefit/src/modules/voucher/voucher.code';

describe('voucher codes', () => {
  it('carry at least 60 bits in 16 symbols without 0/O/1/I, grouped by four', () => {
    expect(CODE_RANDOM_BITS).toBeGreaterThanOrEqual(60);
    expect(CODE_ALPHABET).toHaveLength(32);
    for (const confusable of '01OI') expect(CODE_ALPHABET).not.toContain(confusable);
    for (let i = 0; i < 1000; i++) expect(generateVoucherCode()).toMatch(/^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
  });

  it('do not repeat and use every symbol about equally in every position', () => {
    const codes = Array.from({ length: 20_000 }, generateVoucherCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (let position = 0; position < 16; position++) {
      const counts = new Map<string, number>();
      for (const code of codes) {
        const symbol = code.replace(/-/g, '')[position];
        counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
      }
      expect(counts.size).toBe(32);
      // 625 expected per symbol; a biased generator (e.g. modulo bias) would leave this band
      for (const n of counts.values()) expect(n).toBeGreaterThan(480);
    }
  });

  it('normalize what people type: case, spaces and dashes do not matter', () => {
    fc.assert(
      fc.property(
        fc.constant(null).map(generateVoucherCode),
        fc.array(fc.constantFrom(' ', '-', '  '), { minLength: 16, maxLength: 16 }),
        (code, separators) => {
          const compact = code.replace(/-/g, '');
          const typed = [...compact].map((c, i) => (i % 2 ? c.toLowerCase() : c) + separators[i]).join('');
          expect(normalizeVoucherCode(typed)).toBe(code);
        },
      ),
    );
  });

  it.each([
    '',
    'ABCD-EFGH-JKLM-NPQ',
    'ABCD-EFGH-JKLM-NPQRS',
    'ABCD-EFGH-JKLM-NPQ0',
    'ABCD-EFGH-JKLM-NPQO',
    'ABCD-EFGH-JKLM-NPQ1',
    'ABCD-EFGH-JKLM-NPQI',
    'ABCD-EFGH-JKLM-NPQ!',
  ])('refuse %j without a lookup', (input) => expect(normalizeVoucherCode(input)).toBeNull());

  it('mask all but the last group', () => {
    expect(maskVoucherCode('WPS7-WQBN-7LC4-YYEU')).toBe('****-****-****-YYEU');
  });
});
