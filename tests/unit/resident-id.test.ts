import fc from 'fast-check';
import { isValidResidentId, residentIdAge, residentIdCheckDigit, residentIdProblem } from '../../subgraphs/member/src/modules/enrollment/resident-id';
import * as demoData from '../../subgraphs/member/src/seed/demo-data';

const TODAY = new Date('2026-01-15T12:00:00+08:00');
const withCheck = (first17: string) => first17 + residentIdCheckDigit(first17);

describe('resident ID validation (GB 11643)', () => {
  it('accepts a well-formed number, including a check character X', () => {
    expect(residentIdProblem('11010519491231002X', TODAY)).toBeNull();
    expect(residentIdProblem(withCheck('44010619900307123'), TODAY)).toBeNull();
  });

  it('computes the published check characters', () => {
    // Examples from the standard's annex and widely published test numbers.
    expect(residentIdCheckDigit('11010519491231002')).toBe('X');
    expect(residentIdCheckDigit('44052418800101001')).toBe('4');
  });

  it('refuses 17 characters, 19 characters, letters and a lower-case x (callers upper-case first)', () => {
    expect(residentIdProblem('44010619900307123', TODAY)).toBe('FORMAT');
    expect(residentIdProblem(withCheck('44010619900307123') + '0', TODAY)).toBe('FORMAT');
    expect(residentIdProblem('4401061990O307123X', TODAY)).toBe('FORMAT');
    expect(residentIdProblem('11010519491231002x', TODAY)).toBe('FORMAT');
  });

  it('refuses a wrong check digit', () => {
    const valid = withCheck('44010619900307123');
    const wrong = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
    expect(residentIdProblem(wrong, TODAY)).toBe('CHECK_DIGIT');
  });

  it('refuses impossible birth dates: Feb 30, month 13, day 00, before 1900, after today', () => {
    for (const birth of ['19900230', '19901301', '19900100', '18991231', '20260116', '20270101']) {
      expect(residentIdProblem(withCheck(`440106${birth}123`), TODAY)).toBe('BIRTH_DATE');
    }
    // Feb 29 exists in leap years only.
    expect(residentIdProblem(withCheck('44010620000229123'), TODAY)).toBeNull();
    expect(residentIdProblem(withCheck('44010619000229123'), TODAY)).toBe('BIRTH_DATE');
  });

  it('takes "today" in China time: born on the China date of the check is valid', () => {
    // 2026-01-15T20:00Z is already 2026-01-16 in Beijing.
    const lateUtc = new Date('2026-01-15T20:00:00Z');
    expect(residentIdProblem(withCheck('44010620260116123'), lateUtc)).toBeNull();
  });

  it('refuses an unknown province prefix', () => {
    expect(residentIdProblem(withCheck('99010619900307123'), TODAY)).toBe('REGION');
  });

  it('any single changed digit is caught by the check character', () => {
    const valid = withCheck('44010619900307123');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 9 }), (position, shift) => {
        const digit = (Number(valid[position]) + shift) % 10;
        const changed = valid.slice(0, position) + String(digit) + valid.slice(position + 1);
        // The change may also break the region or date; it is never accepted.
        expect(isValidResidentId(changed, TODAY)).toBe(false);
      }),
    );
  });

  it('computes the age on a China calendar date', () => {
    expect(residentIdAge(withCheck('44010620100115123'), TODAY)).toBe(16);
    expect(residentIdAge(withCheck('44010620100116123'), TODAY)).toBe(15);
  });

  it('is the same validator the demo data generator uses (moved, not copied)', () => {
    expect(demoData.isValidResidentId).toBe(isValidResidentId);
    expect(demoData.residentIdCheckDigit).toBe(residentIdCheckDigit);
  });
});
