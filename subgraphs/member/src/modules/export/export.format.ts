export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
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

const JOINED_AT_SQL = `to_char(m.joined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Status, the two flags and the joining time as they stand in a line of each format. They never
 * need escaping (an enum, booleans, ISO 8601 in UTC).
 */
const FACTS_SQL: Record<ExportFormat, string> = {
  csv: `m.status || ',' || m.real_name_verified || ',' || m.new_employment_form || ',' || ${JOINED_AT_SQL}`,
  ndjson: `'"status":"' || m.status || '","realNameVerified":' || m.real_name_verified || ',"newEmploymentForm":' || m.new_employment_form || ',"joinedAt":"' || ${JOINED_AT_SQL} || '"'`,
};

/** maskName (common/masking.ts) in SQL: by characters, as Array.from counts them. */
export const maskNameSql = (name: string): string =>
  `CASE WHEN char_length(${name}) <= 1 THEN ${name} || '*' WHEN char_length(${name}) = 2 THEN left(${name}, 1) || '*' ` +
  `ELSE left(${name}, 1) || repeat('*', char_length(${name}) - 2) || right(${name}, 1) END`;

/**
 * maskCardNumber and maskPhone in SQL, for the values the members table holds: card numbers match
 * ^GD[0-9]{12}$ and phones ^1[0-9]{10}$ (its CHECK constraints), so the card's letter prefix is its
 * first two characters, and neither ever needs escaping in CSV or JSON.
 */
export const maskCardNumberSql = (card: string): string => `left(${card}, 2) || repeat('*', char_length(${card}) - 6) || right(${card}, 4)`;
export const maskPhoneSql = (phone: string): string => `left(${phone}, 3) || repeat('*', char_length(${phone}) - 7) || right(${phone}, 4)`;

/** A formula's first character, which csvCell (common/csv.ts) defuses with an apostrophe. */
const CSV_FORMULA_PATTERN = '^[-=+@\\t\\r]';
/** What CSV must quote. */
const CSV_QUOTED_PATTERN = '[",\\r\\n]';
const CSV_FORMULA = `E'${CSV_FORMULA_PATTERN}'`;
const CSV_QUOTED = `E'${CSV_QUOTED_PATTERN}'`;
/** Text that csvCell changes at all. */
const CSV_CARE = `E'${CSV_FORMULA_PATTERN}|${CSV_QUOTED_PATTERN}'`;

/** csvCell in SQL: a formula's first character defused, then the cell quoted if CSV needs it. */
export const csvCellSql = (text: string): string => {
  const defused = `CASE WHEN ${text} ~ ${CSV_FORMULA} THEN '''' || ${text} ELSE ${text} END`;
  return `CASE WHEN ${text} ~ ${CSV_QUOTED} THEN '"' || replace(${defused}, '"', '""') || '"' ELSE ${defused} END`;
};

/** JSON.stringify of a string, in SQL: to_json escapes what JSON.stringify escapes, the same way. */
export const jsonStringSql = (text: string): string => `to_json(${text})::text`;

/**
 * The query of one export's lines, for `COPY (...) TO STDOUT (FORMAT binary)`: one text column,
 * each row a whole line with its terminator, so the member subgraph passes the bytes on as they
 * come (see CopyColumnBytes). An NDJSON line is what JSON.stringify gives for the member with the
 * GraphQL field names (fullName null unless member:pii); a CSV line holds the same values in
 * CSV_COLUMNS order, each cell as csvCell writes it. Masking is the GraphQL fields' masking. The
 * organization's part of a line is built once per organization of the subtree, not per member.
 *
 * `subtree` is the subtree's path range and `filter.sql` the filter's conditions, both with their
 * values as SQL literals (COPY takes no parameters); `filter.search` says the filter searches by
 * card number or name, which an index other than the subtree's finds.
 */
export function exportLinesSql(format: ExportFormat, masked: boolean, subtree: [from: string, to: string], filter: { sql: string; search: boolean }): string {
  const card = masked ? maskCardNumberSql('m.card_number') : 'm.card_number';
  const phone = masked ? maskPhoneSql('m.phone') : 'm.phone';
  const displayName = maskNameSql('m.full_name');
  let member: string;
  let organizationPart: string;
  if (format === 'csv') {
    // The masked name's characters are the name's: one test of the name tells whether csvCell
    // would change either cell, and most names go out without another.
    const names = (cell: (text: string) => string) => `${cell(displayName)} || ',' || ${masked ? `''` : cell('m.full_name')}`;
    member =
      `m.id || ',' || ${card} || ',' || CASE WHEN m.full_name ~ ${CSV_CARE} THEN ${names(csvCellSql)} ELSE ${names((text) => text)} END` +
      ` || ',' || ${phone} || ',' || ${FACTS_SQL.csv}`;
    organizationPart = `',' || o.id || ',' || ${csvCellSql('o.name')} || E'\\r\\n'`;
  } else {
    member =
      `'{"id":"' || m.id || '","cardNumber":"' || ${card} || '","displayName":' || ${jsonStringSql(displayName)}` +
      ` || ',"fullName":' || ${masked ? `'null'` : jsonStringSql('m.full_name')} || ',"phone":"' || ${phone} || '",' || ${FACTS_SQL.ndjson}`;
    organizationPart = `',"organizationId":"' || o.id || '","organizationName":' || ${jsonStringSql('o.name')} || E'}\\n'`;
  }
  const [from, to] = subtree;
  const organizations = `SELECT o.path, ${organizationPart} AS organization_part FROM organizations o WHERE o.path >= ${from} AND o.path < ${to}`;
  if (filter.search) {
    // A search finds its few members through its own index (card number, name) and sorts them.
    // OFFSET 0 keeps the organization's part built once per organization, not once per member.
    return `SELECT ${member} || s.organization_part
              FROM members m JOIN (${organizations} OFFSET 0) s ON s.path = m.org_path
             WHERE m.org_path >= ${from} AND m.org_path < ${to}${filter.sql}
             ORDER BY m.org_path, m.id`;
  }
  // Otherwise organization by organization, in path order, each one's members by id through
  // members_subtree_idx, so the lines stream out in (org_path, id) order from the first one on.
  // As one flat query over the subtree, PostgreSQL read the whole subtree and sorted it before
  // the first line (COPY is planned for its last row, where a cursor is planned for its first):
  // 17-25 seconds of silence for a city of 2.2 million members, and a province's would have
  // been minutes and gigabytes of temporary files. The ORDER BY inside each subquery also keeps
  // it from being flattened, so an organization's part is built once per organization; the
  // outer one costs a sort of each organization's members, which already come in order.
  return `SELECT m.line || s.organization_part
            FROM (${organizations} ORDER BY o.path) s
            CROSS JOIN LATERAL (SELECT m.id, ${member} AS line
                                  FROM members m WHERE m.org_path = s.path${filter.sql} ORDER BY m.id) m
           ORDER BY s.path, m.id`;
}
