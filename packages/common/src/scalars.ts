import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors';

const OFFSET_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Is YYYY-MM-DD a day of the calendar? (JavaScript's Date rolls 2026-02-30 over to March 2.) */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !OFFSET_DATE_TIME.test(value)) {
    throw badInput('DateTime must be an ISO-8601 string with an offset, e.g. 2026-01-01T00:00:00+08:00');
  }
  const date = new Date(value);
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  if (Number.isNaN(date.getTime()) || !isCalendarDay(year, month, day)) throw badInput(`invalid DateTime: ${value}`);
  return date;
}

/** ISO-8601 instant with offset. Stored as timestamptz; answered in UTC ("Z"). */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant as an ISO-8601 string with offset, e.g. 2026-03-01T09:30:00+08:00. Answers are in UTC (Z).',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(value: unknown): string {
  const match = typeof value === 'string' ? CALENDAR_DATE.exec(value) : null;
  if (!match) throw badInput('Date must be YYYY-MM-DD');
  if (!isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))) throw badInput(`no such date: ${value as string}`);
  return value as string;
}

/** A calendar date, YYYY-MM-DD (Asia/Shanghai calendar where it matters). */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD.',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value)),
  parseValue: parseDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('Date must be a string');
    return parseDate(ast.value);
  },
});
