import { Client } from 'pg';
import ExcelJS from 'exceljs';
import { residentIdCheckDigit } from '../../subgraphs/member/src/modules/enrollment/resident-id';
import { statsDrift } from '../testkit/member-stats';
import { gql, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Issue 14 item 3 through the gateway: POST /imports/members with CSV and XLSX files, dry runs,
 * idempotent re-runs, per-row rejections, whole-file refusals and the audit trail. The system
 * runs with small limits (300,000 bytes, 2,000 rows) so that the limits can be crossed cheaply.
 */

const MAX_BYTES = 300_000;
const MAX_ROWS = 2_000;

let system: RunningSystem;
let sql: Client;
let district: string;
let districtOrg: string;
let workplace: string;
let siblingWorkplace: string;

beforeAll(async () => {
  system = await startSystem({ env: { IMPORT_MAX_BYTES: String(MAX_BYTES), IMPORT_MAX_ROWS: String(MAX_ROWS) } });
  sql = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
  await sql.connect();
  district = await partnerToken(system, 'districtUnion');
  districtOrg = system.credentials.partners.districtUnion.organizationId!;
  const childOf = async (token: string, org: string) =>
    (await gql(system, token, `query ($org: ID!) { organization(id: $org) { children(first: 1) { nodes { id } } } }`, { org })).body.data!.organization.children
      .nodes[0].id as string;
  workplace = await childOf(district, districtOrg);
  siblingWorkplace = await childOf(await partnerToken(system, 'siblingDistrictUnion'), system.credentials.partners.siblingDistrictUnion.organizationId!);
}, 180_000);
afterAll(async () => {
  await sql?.end();
  await system?.stop();
});

let serial = 0;
function residentId(): string {
  serial += 1;
  const first17 = `440104198805${String(10 + (serial % 18)).padStart(2, '0')}${String(serial % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}
const phone = () => `136${String(40_000_000 + serial).padStart(8, '0')}`;
const csvOf = (lines: string[][]) =>
  lines.map((cells) => cells.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';

async function upload(body: Buffer | string, params: Record<string, string>, contentType = 'text/csv', token: string | null = district) {
  const response = await fetch(`${system.baseUrl}/imports/members?${new URLSearchParams(params)}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}
const footprint = async () =>
  (
    await sql.query(`SELECT (SELECT count(*) FROM members)::int AS members, (SELECT count(*) FROM membership_events)::int AS events,
    (SELECT count(*) FROM event_outbox WHERE type = 'MEMBER_ENROLLED')::int AS outbox,
    (SELECT sum(member_count) FROM organization_stats)::text AS counted`)
  ).rows[0];
const counterDrift = () => statsDrift(sql);

describe('a union imports a member register', () => {
  it('CSV: a dry run writes nothing, the real run creates each valid row once, a re-run creates nothing; bad rows are listed', async () => {
    const good = Array.from({ length: 40 }, (_, i) => [
      `李${'明华建国'[i % 4]}${'一二三四五'[i % 5]}`,
      residentId(),
      phone(),
      i % 2 ? 'true' : 'false',
      i % 3 ? '' : workplace,
    ]);
    const dup = good[3]![1]!;
    const bad = [
      ["=cmd|' /C calc'!A0", residentId(), phone(), 'false', ''],
      ['王\u200B五', residentId(), phone(), 'false', ''],
      ['赵六', residentId().slice(0, 17) + 'Y', phone(), 'false', ''],
      [
        '钱七',
        (() => {
          const id = residentId();
          return id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
        })(),
        phone(),
        'false',
        '',
      ],
      ['孙八', residentId(), '12345', 'false', ''],
      ['周九', residentId(), phone(), 'maybe', ''],
      ['吴十', residentId(), phone(), 'false', siblingWorkplace],
      ['郑十一', residentId(), phone(), 'false', '00000000-0000-4000-8000-00000000abcd'],
      ['冯十二', dup, phone(), 'false', ''],
      ['陈十三', residentId(), '@13800000000', 'false', ''],
    ];
    const file = csvOf([['fullName', 'idNumber', 'phone', 'newEmploymentForm', 'organizationId'], ...good, ...bad]);
    const before = await footprint();

    const dry = await upload(file, { organizationId: districtOrg, dryRun: 'true' });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, totalRows: 50, created: 40, alreadyMembers: 0 });
    expect(await footprint()).toEqual(before);
    const rejected = dry.body.rejected as Array<{ row: number; field: string; code: string; message: string }>;
    expect(rejected.map((r) => [r.row, r.field, r.code])).toEqual([
      [42, 'fullName', 'BAD_USER_INPUT'],
      [43, 'fullName', 'BAD_USER_INPUT'],
      [44, 'idNumber', 'BAD_USER_INPUT'],
      [45, 'idNumber', 'BAD_USER_INPUT'],
      [46, 'phone', 'BAD_USER_INPUT'],
      [47, 'newEmploymentForm', 'BAD_USER_INPUT'],
      [48, 'organizationId', 'FORBIDDEN'],
      [49, 'organizationId', 'NOT_FOUND'],
      [50, 'idNumber', 'BAD_USER_INPUT'],
      [51, 'phone', 'BAD_USER_INPUT'],
    ]);
    expect(rejected[1]!.message).toContain('U+200B');
    expect(rejected[3]!.message).toContain('check digit');
    expect(rejected[8]!.message).toBe('the same idNumber as row 5');

    const real = await upload(file, { organizationId: districtOrg, dryRun: 'false' });
    expect(real.status).toBe(200);
    expect(real.body).toMatchObject({ dryRun: false, totalRows: 50, created: 40, alreadyMembers: 0 });
    expect(real.body.rejected).toEqual(rejected);
    const after = await footprint();
    expect(after.members).toBe(before.members + 40);
    expect(after.events).toBe(before.events + 40);
    // One MEMBER_ENROLLED event per created member, written with it (a dry run wrote none).
    expect(after.outbox).toBe(before.outbox + 40);
    expect(await counterDrift()).toEqual([]);
    const imported = (await sql.query(`SELECT organization_id, new_employment_form, status, real_name_verified FROM members WHERE phone = $1`, [good[0]![2]]))
      .rows[0];
    expect(imported).toEqual({ organization_id: workplace, new_employment_form: false, status: 'ACTIVE', real_name_verified: false });

    // Idempotent on the ID number: the same file again creates nothing.
    const rerun = await upload(file, { organizationId: districtOrg, dryRun: 'false' });
    expect(rerun.body).toMatchObject({ totalRows: 50, created: 0, alreadyMembers: 40 });
    expect(await footprint()).toEqual(after);

    // Audited like exports: the member subgraph's import log and the gateway's access record.
    const audit = (await sql.query(`SELECT * FROM member_imports WHERE id = $1`, [real.body.importId])).rows[0];
    expect(audit).toMatchObject({
      actor_id: system.credentials.partners.districtUnion.id,
      organization_id: districtOrg,
      dry_run: false,
      status: 'COMPLETED',
      format: 'csv',
      total_rows: 50,
      created: 40,
      rejected: 10,
    });
    const record = (await sql.query(`SELECT * FROM gateway.audit_records WHERE detail->>'importId' = $1`, [real.body.importId])).rows[0];
    expect(record).toMatchObject({ operation_name: 'POST /imports/members' });
    expect(record.detail).toMatchObject({ import: true, dryRun: false, created: 40, rejected: 10 });
  });

  it('XLSX: the first worksheet is read with the streaming reader; formulas and numeric ID numbers are rejected per row', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('会员');
    sheet.addRow(['fullName', 'idNumber', 'phone', 'newEmploymentForm', 'realNameVerified']);
    const ids = [residentId(), residentId(), residentId()];
    sheet.addRow(['黄小明', ids[0], phone(), true, 'true']);
    sheet.addRow(['林小红', ids[1], Number(phone()), false, '']);
    sheet.addRow(['何小刚', Number(ids[2]!.replace('X', '1')), phone(), false, '']);
    sheet.addRow(['罗小军', residentId(), { formula: 'CONCAT("138","00000000")', result: '13800000000' }, false, '']);
    const file = Buffer.from(await workbook.xlsx.writeBuffer());
    const xlsx = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

    // Without member:assert-verified, the row asserting verification is refused.
    const noAssert = await partnerToken(system, 'districtUnion', 'member:read member:write');
    const dry = await upload(file, { organizationId: workplace, dryRun: 'true' }, xlsx, noAssert);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ totalRows: 4, created: 1 });
    expect(dry.body.rejected.map((r: { row: number; field: string; code: string }) => [r.row, r.field, r.code])).toEqual([
      [2, 'realNameVerified', 'FORBIDDEN'],
      [4, 'idNumber', 'BAD_USER_INPUT'],
      [5, 'phone', 'BAD_USER_INPUT'],
    ]);

    const real = await upload(file, { organizationId: workplace, dryRun: 'false' }, xlsx);
    expect(real.body).toMatchObject({ totalRows: 4, created: 2, alreadyMembers: 0 });
    const verified = (await sql.query(`SELECT real_name_verified FROM members WHERE id_number_last4 = $1 AND full_name = '黄小明'`, [ids[0]!.slice(-4)]))
      .rows[0];
    expect(verified.real_name_verified).toBe(true);
    expect(await counterDrift()).toEqual([]);
  });

  it.each([
    ['a PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1'), 'text/csv', 400, 'BAD_USER_INPUT'],
    ['a GBK-encoded CSV', Buffer.from([0x66, 0x75, 0x6c, 0x6c, 0x4e, 0x61, 0x6d, 0x65, 0x0a, 0xc0, 0xee, 0xc3, 0xf7, 0x0a]), 'text/csv', 400, 'BAD_USER_INPUT'],
    ['JSON', Buffer.from('{"members": []}'), 'application/json', 400, 'BAD_USER_INPUT'],
    [
      'a ZIP that is no workbook',
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]),
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      400,
      'BAD_USER_INPUT',
    ],
    ['an unknown column', Buffer.from('fullName,idNumber,phone,salary\r\n张三,1,2,3\r\n'), 'text/csv', 400, 'BAD_USER_INPUT'],
    ['a missing column', Buffer.from('fullName,phone\r\n张三,13800000000\r\n'), 'text/csv', 400, 'BAD_USER_INPUT'],
    ['an empty file', Buffer.alloc(0), 'text/csv', 400, 'BAD_USER_INPUT'],
    ['a file over the size limit', Buffer.alloc(MAX_BYTES + 1, 'a'), 'text/csv', 413, 'BAD_USER_INPUT'],
  ])('%s is refused as a whole, nothing written', async (_name, body, contentType, status, code) => {
    const before = await footprint();
    const response = await upload(body, { organizationId: districtOrg, dryRun: 'false' }, contentType);
    expect(response.status).toBe(status);
    expect(response.body.errors[0].extensions.code).toBe(code);
    expect(await footprint()).toEqual(before);
  });

  it('a file over the row limit is refused before any row is written', async () => {
    const rows = Array.from({ length: MAX_ROWS + 1 }, () => ['张三', residentId(), phone(), 'false']);
    const file = csvOf([['fullName', 'idNumber', 'phone', 'newEmploymentForm'], ...rows]);
    expect(file.length).toBeLessThan(MAX_BYTES);
    const before = await footprint();
    const response = await upload(file, { organizationId: districtOrg, dryRun: 'false' });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].message).toContain(`more than ${MAX_ROWS}`);
    expect(await footprint()).toEqual(before);
  });

  it('callers and parameters: no token 401, no scope or a hospital 403, another subtree 403, bad parameters 400', async () => {
    const file = csvOf([
      ['fullName', 'idNumber', 'phone'],
      ['张三', residentId(), phone()],
    ]);
    const before = await footprint();
    expect((await upload(file, { organizationId: districtOrg, dryRun: 'false' }, 'text/csv', null)).status).toBe(401);
    const readOnly = await partnerToken(system, 'districtUnion', 'member:read');
    expect((await upload(file, { organizationId: districtOrg, dryRun: 'false' }, 'text/csv', readOnly)).status).toBe(403);
    expect((await upload(file, { organizationId: districtOrg, dryRun: 'false' }, 'text/csv', await partnerToken(system, 'hospital'))).status).toBe(403);
    const foreign = await upload(file, { organizationId: system.credentials.partners.siblingDistrictUnion.organizationId!, dryRun: 'false' });
    expect([foreign.status, foreign.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
    expect((await upload(file, { organizationId: districtOrg })).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await upload(file, { organizationId: districtOrg, dryRun: 'false', extra: '1' })).status).toBe(400);
    expect(await footprint()).toEqual(before);
  });
});
