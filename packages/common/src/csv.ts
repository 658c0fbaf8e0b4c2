import { createHash } from 'node:crypto';

/**
 * One CSV cell: RFC 4180 quoting, and a leading apostrophe on text a spreadsheet would run as a
 * formula (= + - @, tab, CR): statements and exports are opened in Excel by union and partner
 * staff, and names, invoice and order numbers are other people's text (OWASP "CSV injection").
 * Numbers and booleans are written as they are; null is an empty cell.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Leads every CSV statement: without it Excel on a Chinese-locale Windows desktop opens UTF-8 as
 * GBK and every name turns to mojibake.
 */
export const UTF8_BOM = '\uFEFF';

/** A CSV file as handed to a partner, with what finance checks it against. */
export interface CsvDocument {
  /** BOM, header row, data rows, CRLF line ends (RFC 4180), a CRLF after the last row. */
  csv: string;
  /** Rows after the header. */
  rowCount: number;
  /** SHA-256 (lowercase hex) of the CSV's UTF-8 bytes, BOM included: of the file as saved. */
  sha256: string;
}

export function csvDocument(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>): CsvDocument {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  const csv = `${UTF8_BOM}${lines.join('\r\n')}\r\n`;
  return { csv, rowCount: rows.length, sha256: createHash('sha256').update(csv, 'utf8').digest('hex') };
}
