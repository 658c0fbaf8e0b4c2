import { csvCell, maskCardNumber, maskName, maskPhone } from '@union/common';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** One exported member, as read from the cursor. */
export interface ExportRow {
  id: string;
  card_number: string;
  full_name: string;
  phone: string;
  status: string;
  real_name_verified: boolean;
  new_employment_form: boolean;
  /** ISO 8601 in UTC, as PostgreSQL formats it for the export (a Date where a caller already has one). */
  joined_at: string | Date;
  organization_id: string;
  organization_name: string;
}

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

/** What a member looks like in an export: the same masking as the GraphQL fields (fullName null unless member:pii). */
export function exportedMember(row: ExportRow, masked: boolean) {
  return {
    id: row.id,
    cardNumber: masked ? maskCardNumber(row.card_number) : row.card_number,
    displayName: maskName(row.full_name),
    fullName: masked ? null : row.full_name,
    phone: masked ? maskPhone(row.phone) : row.phone,
    status: row.status,
    realNameVerified: row.real_name_verified,
    newEmploymentForm: row.new_employment_form,
    joinedAt: typeof row.joined_at === 'string' ? row.joined_at : row.joined_at.toISOString(),
    organizationId: row.organization_id,
    organizationName: row.organization_name,
  };
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export function csvLine(row: ExportRow, masked: boolean): string {
  const m = exportedMember(row, masked);
  return (
    [
      m.id,
      m.cardNumber,
      m.displayName,
      m.fullName,
      m.phone,
      m.status,
      m.realNameVerified,
      m.newEmploymentForm,
      m.joinedAt,
      m.organizationId,
      m.organizationName,
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}

export const ndjsonLine = (row: ExportRow, masked: boolean): string => `${JSON.stringify(exportedMember(row, masked))}\n`;
