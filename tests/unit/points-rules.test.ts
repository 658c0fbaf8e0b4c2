import { awardAmount, capPeriod, expiryOf } from '../../subgraphs/points/src/modules/points/points.rules';

describe('points rules', () => {
  it('counts daily caps per Asia/Shanghai day (midnight is 16:00 UTC)', () => {
    expect(capPeriod('day', new Date('2026-03-01T15:59:59.999Z'))).toBe('2026-03-01');
    expect(capPeriod('day', new Date('2026-03-01T16:00:00.000Z'))).toBe('2026-03-02');
    expect(capPeriod('ever', new Date('2026-03-01T16:00:00.000Z'))).toBe('ever');
  });

  it('expires points at the end of the calendar year after the year they were earned (Asia/Shanghai)', () => {
    // 2026-12-31 23:30 in Shanghai is still 2026: the points live through 2027.
    expect(expiryOf(new Date('2026-12-31T15:30:00Z'), { expiryYearsAfterEarning: 1 }).toISOString()).toBe('2027-12-31T16:00:00.000Z');
    // 2027-01-01 00:30 in Shanghai (still 2026 in UTC) is 2027: they live through 2028.
    expect(expiryOf(new Date('2026-12-31T16:30:00Z'), { expiryYearsAfterEarning: 1 }).toISOString()).toBe('2028-12-31T16:00:00.000Z');
    expect(expiryOf(new Date('2026-06-01T00:00:00Z'), { expiryYearsAfterEarning: 0 }).toISOString()).toBe('2026-12-31T16:00:00.000Z');
  });

  it('fixes the amount per rule and bounds ACTIVITY to 1..1000', () => {
    expect(awardAmount('READ_ARTICLE', null)).toBe(5);
    expect(awardAmount('READ_ARTICLE', 5)).toBe(5);
    expect(awardAmount('DAILY_SIGN_IN', undefined)).toBe(2);
    expect(awardAmount('REAL_NAME_VERIFIED', null)).toBe(100);
    expect(awardAmount('ACTIVITY', 1)).toBe(1);
    expect(awardAmount('ACTIVITY', 1000)).toBe(1000);
    for (const bad of [0, 1001, -5, 1.5, null])
      expect(() => awardAmount('ACTIVITY', bad)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    expect(() => awardAmount('DAILY_SIGN_IN', 3)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});
