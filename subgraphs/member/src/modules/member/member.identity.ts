import { createHmac } from 'node:crypto';

/**
 * Resident ID numbers are never stored: a keyed hash gives uniqueness and lookup, the last four
 * characters help a union officer tell two people apart. Without the key the hash cannot be
 * reversed by enumerating the (small) space of valid ID numbers.
 */
export function hashIdNumber(key: string, idNumber: string): Buffer {
  return createHmac('sha256', key).update(idNumber.toUpperCase()).digest();
}
