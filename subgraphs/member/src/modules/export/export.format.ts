import { csvCell, maskCardNumber, maskName, maskPhone } from '@union/common';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * One exported member as the cursor returns it, an array row (pg builds no object per row):
 * the columns that need masking or escaping come raw, the rest as `facts`, already formatted by
 * PostgreSQL for the file's format (see EXPORT_FACTS_SQL).
 */
export type ExportRow = [id: string, cardNumber: string, fullName: string, phone: string, facts: string, organizationId: string];

const JOINED_AT_SQL = `to_char(m.joined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Status, the two flags and the joining time as they stand in a line of each format. They never
 * need escaping (an enum, booleans, ISO 8601 in UTC), so PostgreSQL writes them as one column:
 * every column the cursor returns costs the member subgraph more to parse than to format, and
 * parsing a timestamp into a Date to print it again cost more than any other column.
 */
export const EXPORT_FACTS_SQL: Record<ExportFormat, string> = {
  csv: `m.status || ',' || m.real_name_verified || ',' || m.new_employment_form || ',' || ${JOINED_AT_SQL}`,
  ndjson: `'"status":"' || m.status || '","realNameVerified":' || m.real_name_verified || ',"newEmploymentForm":' || m.new_employment_form || ',"joinedAt":"' || ${JOINED_AT_SQL} || '"'`,
};

/** The columns of an export, the same with and without member:pii: masked ones are simply empty. */
export const CSV_COLUMNS = [
  'id',
  'card_number',
  'display_name',
  'full_name',
  'phone',
  'status',
  'real_name_verified',
  'new_employment_form',
  'joined_at',
  'organization_id',
  'organization_name',
] as const;

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

/**
 * Formats the lines of one export. An NDJSON line is what JSON.stringify gives for the member with
 * the GraphQL field names (fullName null unless member:pii); a CSV line holds the same values in
 * CSV_COLUMNS order, each cell escaped by csvCell. Masking is the GraphQL fields' masking.
 * Members come ordered by organization, so the organization's part of the line is built once per
 * organization rather than once per member, with the name `organizationName` gives for its id.
 */
export function exportLineFormatter(format: ExportFormat, masked: boolean, organizationName: (id: string) => string): (row: ExportRow) => string {
  const card = (cardNumber: string) => (masked ? maskCardNumber(cardNumber) : cardNumber);
  const phoneOf = (phone: string) => (masked ? maskPhone(phone) : phone);
  const memberPart: (row: ExportRow) => string =
    format === 'csv'
      ? ([id, cardNumber, fullName, phone, facts]) =>
          `${id},${csvCell(card(cardNumber))},${csvCell(maskName(fullName))},${masked ? '' : csvCell(fullName)},${csvCell(phoneOf(phone))},${facts}`
      : ([id, cardNumber, fullName, phone, facts]) =>
          `{"id":"${id}","cardNumber":${JSON.stringify(card(cardNumber))},"displayName":${JSON.stringify(maskName(fullName))},` +
          `"fullName":${masked ? 'null' : JSON.stringify(fullName)},"phone":${JSON.stringify(phoneOf(phone))},${facts}`;
  const organizationPartOf =
    format === 'csv'
      ? (id: string, name: string) => `,${id},${csvCell(name)}\r\n`
      : (id: string, name: string) => `,"organizationId":"${id}","organizationName":${JSON.stringify(name)}}\n`;
  let organizationId: string | null = null;
  let organizationPart = '';
  return (row) => {
    const memberOrganizationId = row[5];
    if (memberOrganizationId !== organizationId) {
      organizationId = memberOrganizationId;
      organizationPart = organizationPartOf(memberOrganizationId, organizationName(memberOrganizationId));
    }
    return memberPart(row) + organizationPart;
  };
}
