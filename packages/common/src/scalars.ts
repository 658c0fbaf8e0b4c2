import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors';

// Strict ISO-8601 / RFC 3339 with a required offset: what partners' libraries produce. Without an
// offset an instant is ambiguous (Asia/Shanghai or UTC?), so it is refused rather than guessed.
const OFFSET_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Years outside this are typing mistakes (0026, 20260) or probes, never a benefit's dates. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 9999;

/** Is YYYY-MM-DD a day of the calendar? (JavaScript's Date rolls 2026-02-30 over to March 2.) */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

function dayProblem(year: number, month: number, day: number, text: string): string | null {
  if (year < MIN_YEAR || year > MAX_YEAR) return `year ${year} is outside ${MIN_YEAR}..${MAX_YEAR}`;
  if (!isCalendarDay(year, month, day)) return `there is no such day as ${text}`;
  return null;
}

/** What is wrong with a DateTime input, or null when it is a valid one. The gateway and the subgraphs share this. */
export function dateTimeProblem(value: unknown): string | null {
  const match = typeof value === 'string' ? OFFSET_DATE_TIME.exec(value) : null;
  if (!match) return 'a DateTime must be an ISO-8601 string with an offset, e.g. 2026-01-01T00:00:00+08:00';
  const [, year, month, day, hour, minute, second, , offsetHours, offsetMinutes] = match;
  const problem = dayProblem(Number(year), Number(month), Number(day), value!.toString().slice(0, 10));
  if (problem) return problem;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59) return `there is no such time of day in ${value as string}`;
  if (offsetHours !== undefined && (Number(offsetHours) > 18 || Number(offsetMinutes) > 59)) return `the offset of ${value as string} is not one`;
  if (Number.isNaN(new Date(value as string).getTime())) return `invalid DateTime: ${value as string}`;
  return null;
}

/** What is wrong with a Date input (YYYY-MM-DD), or null. */
export function dateProblem(value: unknown): string | null {
  const match = typeof value === 'string' ? CALENDAR_DATE.exec(value) : null;
  if (!match) return 'a Date must be YYYY-MM-DD';
  return dayProblem(Number(match[1]), Number(match[2]), Number(match[3]), value as string);
}

function parseDateTime(value: unknown): Date {
  const problem = dateTimeProblem(value);
  if (problem) throw badInput(problem);
  return new Date(value as string);
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

function parseDate(value: unknown): string {
  const problem = dateProblem(value);
  if (problem) throw badInput(problem);
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
