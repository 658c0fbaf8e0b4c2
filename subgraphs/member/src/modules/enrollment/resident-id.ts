/**
 * Resident identity numbers (居民身份证号码, GB 11643-1999): 6-digit region code, 8-digit birth
 * date, 3-digit sequence (odd for men), 1 check character (0-9 or X) over the first 17 digits.
 */

const CHINA_UTC_OFFSET_MS = 8 * 3_600_000;
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK_CHARS = '10X98765432';

/** GB 11643 check character for the first 17 digits of a resident identity number. */
export function residentIdCheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError(`residentIdCheckDigit expects exactly 17 digits, got ${JSON.stringify(first17)}`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * ID_WEIGHTS[i]!;
  return ID_CHECK_CHARS[sum % 11]!;
}

/** GB/T 2260 province-level prefixes; catches ids whose region part is plainly made up. */
const PROVINCE_PREFIXES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

/** Why a resident ID number is not acceptable; each one is a different message to the caller. */
export type ResidentIdProblem = 'FORMAT' | 'REGION' | 'BIRTH_DATE' | 'CHECK_DIGIT';

export const RESIDENT_ID_PROBLEM_MESSAGES: Record<ResidentIdProblem, string> = {
  FORMAT: 'idNumber must be 18 characters: 17 digits and a check character (0-9 or X)',
  REGION: 'idNumber does not start with a known province code',
  BIRTH_DATE: 'idNumber does not contain a possible birth date',
  CHECK_DIGIT: 'idNumber check digit does not match (mistyped digit?)',
};

/** The person's birth date encoded in a structurally valid ID number, YYYY-MM-DD. */
export const residentIdBirthDate = (id: string): string => `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;

/**
 * The first problem of an ID number, or null when it is structurally valid: region, birth date
 * (a real calendar date, year >= 1900, not after `today`), sequence and check character. Only an
 * upper-case 'X' is accepted as the check character, the canonical form (callers upper-case input
 * first). `today` is taken in China Standard Time; pass it for reproducible checks.
 */
export function residentIdProblem(id: string, today: Date = new Date()): ResidentIdProblem | null {
  if (typeof id !== 'string' || !/^\d{17}[\dX]$/.test(id)) return 'FORMAT';
  if (!PROVINCE_PREFIXES.has(id.slice(0, 2))) return 'REGION';

  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  if (year < 1900 || month < 1 || month > 12 || day < 1) return 'BIRTH_DATE';
  const birth = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 1999-02-30 over to March, so a round trip exposes impossible dates.
  if (birth.getUTCFullYear() !== year || birth.getUTCMonth() !== month - 1 || birth.getUTCDate() !== day) return 'BIRTH_DATE';
  // Birth dates are China calendar dates, so "today" is taken in UTC+8 rather than the host's zone;
  // comparing whole dates keeps someone born today valid at any time of day.
  const china = new Date(today.getTime() + CHINA_UTC_OFFSET_MS);
  const todayInChina = Date.UTC(china.getUTCFullYear(), china.getUTCMonth(), china.getUTCDate());
  if (birth.getTime() > todayInChina) return 'BIRTH_DATE';

  return residentIdCheckDigit(id.slice(0, 17)) === id[17] ? null : 'CHECK_DIGIT';
}

/** Structural validation of an 18-character resident identity number (see residentIdProblem). */
export function isValidResidentId(id: string, today: Date = new Date()): boolean {
  return residentIdProblem(id, today) === null;
}

/** Age in whole years on `today` (China calendar) of someone born on the ID number's birth date. */
export function residentIdAge(id: string, today: Date = new Date()): number {
  const china = new Date(today.getTime() + CHINA_UTC_OFFSET_MS);
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  let age = china.getUTCFullYear() - year;
  if (china.getUTCMonth() + 1 < month || (china.getUTCMonth() + 1 === month && china.getUTCDate() < day)) age -= 1;
  return age;
}
