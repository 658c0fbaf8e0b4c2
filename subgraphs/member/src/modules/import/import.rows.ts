import { createReadStream } from 'node:fs';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { MemberErrors } from '../../errors';

/** The columns a member file may have; the first three are required. */
export const IMPORT_COLUMNS = ['fullName', 'idNumber', 'phone', 'newEmploymentForm', 'organizationId', 'realNameVerified'] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly ImportColumn[] = ['fullName', 'idNumber', 'phone'];

export type ImportFormat = 'csv' | 'xlsx';

/**
 * One data row as read from the file: the spreadsheet row number (the header is row 1) and each
 * column's cell. A cell is text, or a problem found while reading it (a formula, a number where
 * text is needed) that rejects the row.
 */
export interface RawRow {
  row: number;
  cells: Partial<Record<ImportColumn, string>>;
  problem?: { field: ImportColumn; message: string };
}

/** The header row: every name known, none twice, the required ones present. Anything else refuses the whole file. */
export function columnsOfHeader(header: string[]): ImportColumn[] {
  const names = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(name)) {
      throw MemberErrors.badInput(`unknown column ${JSON.stringify(name)} in the header row; columns: ${IMPORT_COLUMNS.join(', ')}`, 'header');
    }
    if (seen.has(name)) throw MemberErrors.badInput(`column ${name} appears twice in the header row`, 'header');
    seen.add(name);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length > 0) throw MemberErrors.badInput(`the header row lacks ${missing.join(', ')}; columns: ${IMPORT_COLUMNS.join(', ')}`, 'header');
  return names as ImportColumn[];
}

/** Reads the rows of a CSV file (UTF-8, optional BOM, RFC 4180 quoting), streamed. */
async function* csvRows(path: string): AsyncGenerator<RawRow> {
  const parser = createReadStream(path).pipe(
    parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: false, max_record_size: 64 * 1024 }),
  );
  let columns: ImportColumn[] | null = null;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row += 1;
      if (!columns) {
        columns = columnsOfHeader(record);
        continue;
      }
      if (record.every((cell) => cell.trim() === '')) continue;
      const cells: RawRow['cells'] = {};
      columns.forEach((column, i) => (cells[column] = record[i] ?? ''));
      const problem: RawRow['problem'] =
        record.length > columns.length
          ? { field: columns[columns.length - 1]!, message: `row has ${record.length} cells, the header ${columns.length}` }
          : undefined;
      yield { row, cells, problem };
    }
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('CSV_')) {
      throw MemberErrors.badInput(`not a readable CSV file near record ${row + 1}: ${(error as Error).message}`, 'file');
    }
    throw error;
  } finally {
    parser.destroy();
  }
  if (!columns) throw MemberErrors.badInput('the file is empty: it needs a header row', 'file');
}

/** An XLSX cell as text, or a reason the row cannot be taken. */
function xlsxCellText(value: unknown, column: ImportColumn): { text: string } | { problem: string } {
  if (value === null || value === undefined) return { text: '' };
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'boolean') return { text: String(value) };
  if (typeof value === 'number') {
    // An 18-digit ID number stored as a number has already lost its last digits in the workbook.
    if (column === 'idNumber') return { problem: 'idNumber is stored as a number in the workbook (its last digits are lost): format the column as text' };
    return { text: Number.isInteger(value) ? String(value) : String(value) };
  }
  if (value instanceof Date) return { problem: `${column} is a date in the workbook` };
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('formula' in v || 'sharedFormula' in v) return { problem: `${column} is a spreadsheet formula; values only` };
    if (Array.isArray(v.richText)) return { text: (v.richText as Array<{ text?: string }>).map((r) => r.text ?? '').join('') };
    if (typeof v.text === 'string') return { text: v.text };
    if ('error' in v) return { problem: `${column} holds a spreadsheet error (${String(v.error)})` };
  }
  return { problem: `${column} holds a value that is not text` };
}

/** Reads the rows of the first worksheet of an XLSX workbook with exceljs's streaming reader. */
async function* xlsxRows(path: string): AsyncGenerator<RawRow> {
  const source = createReadStream(path);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    entries: 'ignore',
  });
  let columns: ImportColumn[] | null = null;
  try {
    for await (const worksheet of reader) {
      for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
        const values = (row.values as unknown[]) ?? [];
        if (!columns) {
          const header: string[] = [];
          for (let i = 1; i < values.length; i++) {
            const cell = xlsxCellText(values[i], 'fullName');
            header.push('text' in cell ? cell.text : '');
          }
          while (header.length > 0 && header[header.length - 1]!.trim() === '') header.pop();
          columns = columnsOfHeader(header);
          continue;
        }
        const cells: RawRow['cells'] = {};
        let problem: RawRow['problem'];
        let empty = true;
        columns.forEach((column, i) => {
          const cell = xlsxCellText(values[i + 1], column);
          if ('problem' in cell) {
            problem ??= { field: column, message: cell.problem };
            empty = false;
            cells[column] = '';
          } else {
            cells[column] = cell.text;
            if (cell.text.trim() !== '') empty = false;
          }
        });
        for (let i = columns.length + 1; i < values.length && !problem; i++) {
          if (values[i] !== null && values[i] !== undefined && values[i] !== '')
            problem = { field: columns[columns.length - 1]!, message: `row has a value in column ${i}, beyond the header` };
        }
        if (empty && !problem) continue;
        yield { row: row.number, cells, problem };
      }
      break; // the first worksheet only
    }
  } catch (error) {
    if ((error as { extensions?: unknown }).extensions) throw error;
    throw MemberErrors.badInput(`not a readable XLSX workbook: ${(error as Error).message}`, 'file');
  } finally {
    source.destroy();
  }
  if (!columns) throw MemberErrors.badInput('the workbook has no header row in its first worksheet', 'file');
}

/** The data rows of a member file (header checked first), one at a time. */
export const readRows = (path: string, format: ImportFormat): AsyncGenerator<RawRow> => (format === 'csv' ? csvRows(path) : xlsxRows(path));
