import { randomBytes } from 'node:crypto';

/**
 * 32 symbols without 0/O and 1/I, which people confuse when they read a code aloud or type it
 * from a screenshot. 32 symbols carry exactly 5 bits each.
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const GROUPS = 4;
const GROUP_LENGTH = 4;
const SYMBOLS = GROUPS * GROUP_LENGTH;
/** 16 symbols x 5 bits: 80 bits from the CSPRNG, far beyond what any rate limit lets anyone guess. */
export const CODE_RANDOM_BITS = SYMBOLS * 5;

const group = (symbols: string) => symbols.match(new RegExp(`.{${GROUP_LENGTH}}`, 'g'))!.join('-');

/** A fresh voucher code, e.g. "7KQM-2XHD-RW9P-C4TA". */
export function generateVoucherCode(): string {
  const bytes = randomBytes(CODE_RANDOM_BITS / 8);
  let bits = 0;
  let buffer = 0;
  let symbols = '';
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      symbols += CODE_ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return group(symbols);
}

/**
 * The stored form of what a cashier typed: upper case, spaces and dashes dropped, regrouped.
 * Null when it cannot be any code (wrong length or a symbol outside the alphabet): such input
 * is answered VOUCHER_NOT_FOUND without a database lookup.
 */
export function normalizeVoucherCode(input: string): string | null {
  const compact = input.toUpperCase().replace(/[\s\-_]+/g, '');
  if (compact.length !== SYMBOLS) return null;
  for (const symbol of compact) if (!CODE_ALPHABET.includes(symbol)) return null;
  return group(compact);
}

/** What anybody but the owner and the redeeming partners sees: the last group only. */
export const maskVoucherCode = (code: string) => `****-****-****-${code.slice(-GROUP_LENGTH)}`;
