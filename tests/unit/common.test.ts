import { GraphQLError, Kind } from 'graphql';
import { DateScalar, DateTimeScalar } from '@union/common';

/** The contract error code a scalar answers `value` with, or 'ok'. */
function codeOf(parse: () => unknown): string {
  try {
    parse();
    return 'ok';
  } catch (error) {
    return error instanceof GraphQLError ? String(error.extensions.code) : `threw ${String(error)}`;
  }
}

describe('DateTime and Date scalars', () => {
  it('read an instant with an offset', () => {
    expect(DateTimeScalar.parseValue('2026-03-01T09:30:00+08:00')).toEqual(new Date('2026-03-01T01:30:00Z'));
    expect(DateTimeScalar.parseLiteral({ kind: Kind.STRING, value: '2024-02-29T00:00Z' })).toEqual(new Date('2024-02-29T00:00:00Z'));
  });

  it('refuse a day that is not in the calendar as BAD_USER_INPUT, instead of rolling it over into the next month', () => {
    for (const value of ['2026-02-29T00:00:00+08:00', '2026-02-30T10:00:00Z', '2026-04-31T00:00:00+08:00', '2026-13-01T00:00:00Z', '2026-01-01']) {
      expect([value, codeOf(() => DateTimeScalar.parseValue(value))]).toEqual([value, 'BAD_USER_INPUT']);
    }
    for (const value of ['2026-02-30', '2026-02-29', '2026-1-01']) {
      expect([value, codeOf(() => DateScalar.parseValue(value))]).toEqual([value, 'BAD_USER_INPUT']);
    }
    expect(DateScalar.parseValue('2024-02-29')).toBe('2024-02-29');
  });
});
