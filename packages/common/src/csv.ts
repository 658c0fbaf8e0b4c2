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
