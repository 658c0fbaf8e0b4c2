import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PARTNERS } from '@union/common';
import ExcelJS from 'exceljs';
import { Client } from 'pg';
import { shanghaiMonth } from '../../subgraphs/benefit/src/statements';
import { DEMO_VOUCHER_BATCHES } from '../../subgraphs/benefit/src/seed/voucher-seed';
import { gql, memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Monthly statements as the finance department opens them: the CSV of hospitalSettlement and of
 * redemptionStatement is saved to a file as the API handed it out and read back with exceljs's CSV
 * reader; the BOM, the SHA-256, the row count and every total are checked against SQL, and text a
 * spreadsheet would run as a formula (an order number starting with + or -) stays text.
 */

let system: RunningSystem;
let sql: Client;
let dir: string;
const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);

beforeAll(async () => {
  system = await startSystem();
  sql = new Client({ connectionString: system.databaseUrl });
  await sql.connect();
  dir = mkdtempSync(join(tmpdir(), 'union-statements-'));
}, 240_000);
afterAll(async () => {
  await sql?.end();
  await system?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function ok<T = Record<string, any>>(token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(system, token, query, variables);
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data!;
}

/** Saves the CSV as the partner would (its UTF-8 bytes) and opens it with exceljs; rows as arrays of cells, 0-based. */
async function openInExcel(name: string, csv: string): Promise<{ bytes: Buffer; rows: ExcelJS.CellValue[][]; sheet: ExcelJS.Worksheet }> {
  const file = join(dir, name);
  writeFileSync(file, csv, 'utf8');
  const workbook = new ExcelJS.Workbook();
  // No value mapping: cells keep the text of the file, as Excel's text import shows it.
  const sheet = await workbook.csv.readFile(file, { map: (value: unknown) => value });
  const rows: ExcelJS.CellValue[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => rows.push((row.values as ExcelJS.CellValue[]).slice(1)));
  return { bytes: readFileSync(file), rows, sheet };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('statements open in a spreadsheet and add up', () => {
  it('hospitalSettlement: BOM, checksum, row count, every total equal to SQL, the same file as hospitalSettlementStatement', async () => {
    const hospital = await partnerToken(system, 'hospital');
    // Invoice numbers cannot start with a symbol (the API refuses them); formulas are tried below with order ids.
    const invoices = [1, 2, 3, 4].map((i) => `INV-${Date.now()}-${i}`);
    const claimIds: string[] = [];
    for (const [i, invoiceNumber] of invoices.entries()) {
      const member = system.credentials.members[i];
      const card = await ok(await memberToken(system, member.id), `mutation { issueMemberCardToken { token } }`);
      const verified = await ok(hospital, `mutation ($t: String!) { verifyMemberCard(token: $t, purpose: HOSPITAL_DISCOUNT) { verificationId } }`, {
        t: card.issueMemberCardToken.token,
      });
      const claim = await ok(hospital, `mutation ($i: ApplyHospitalDiscountInput!) { applyHospitalDiscount(input: $i) { id } }`, {
        i: { verificationId: verified.verifyMemberCard.verificationId, invoiceNumber, selfPaidFen: 12_345 + i * 10_001 },
      });
      claimIds.push(claim.applyHospitalDiscount.id);
    }
    await ok(hospital, `mutation ($id: ID!) { voidDiscountClaim(claimId: $id, reason: "settlement revoked") { status } }`, { id: claimIds[3] });

    const { hospitalSettlement: s } = await ok(
      hospital,
      `query ($m: String!) { hospitalSettlement(month: $m) { month hospitalPartnerId hospitalName programId claimCount selfPaidFen discountFen payableFen rowCount sha256 csv } }`,
      { m: month },
    );
    const { start, end } = shanghaiMonth(month);
    const [expected] = (
      await sql.query(
        `SELECT count(*)::int AS n, sum(self_paid_fen)::bigint AS self_paid, sum(discount_fen)::bigint AS discount, sum(payable_fen)::bigint AS payable
           FROM benefit.discount_claims WHERE hospital_partner_id = $1 AND status = 'APPLIED' AND created_at >= $2 AND created_at < $3`,
        [DEMO_PARTNERS.hospital.id, start, end],
      )
    ).rows;
    expect(expected.n).toBe(3);
    expect(s).toMatchObject({
      month,
      hospitalPartnerId: DEMO_PARTNERS.hospital.id,
      programId: null,
      claimCount: expected.n,
      selfPaidFen: Number(expected.self_paid),
      discountFen: Number(expected.discount),
      payableFen: Number(expected.payable),
      rowCount: expected.n + 1,
    });

    const { bytes, rows } = await openInExcel('settlement.csv', s.csv);
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(s.sha256).toBe(sha256(bytes));
    const header = rows[0].map((cell) => String(cell).replace(/^\uFEFF/, ''));
    expect(header[0]).toBe('record_type');
    const col = (name: string) => header.indexOf(name);
    const body = rows.slice(1).filter((row) => row.some((cell) => cell !== null && cell !== undefined && cell !== ''));
    expect(body).toHaveLength(s.rowCount);
    const claims = body.filter((row) => row[0] === 'CLAIM');
    const [total] = body.filter((row) => row[0] === 'TOTAL');
    expect(claims).toHaveLength(expected.n);
    expect(claims.map((row) => row[col('claim_id')])).not.toContain(claimIds[3]); // voided: not settled
    for (const [column, sum] of [
      ['self_paid_fen', expected.self_paid],
      ['discount_fen', expected.discount],
      ['payable_fen', expected.payable],
    ] as const) {
      expect(claims.reduce((acc, row) => acc + Number(row[col(column)]), 0)).toBe(Number(sum));
      expect(Number(total[col(column)])).toBe(Number(sum));
    }
    expect(Number(total[col('claim_count')])).toBe(expected.n);
    expect(total[col('hospital_name')]).toBe(s.hospitalName);
    expect(claims.map((row) => row[col('invoice_number')]).sort()).toEqual(invoices.slice(0, 3).sort());

    // The string field is the same file.
    const legacy = await ok(hospital, `query ($m: String!) { hospitalSettlementStatement(month: $m) }`, { m: month });
    expect(legacy.hospitalSettlementStatement).toBe(s.csv);
  });

  it('redemptionStatement: BOM, checksum, row count, formulas defused, every total equal to SQL', async () => {
    const partner = await partnerToken(system, 'travelPartner');
    const orders = [`+86-${Date.now()}`, `TC-${Date.now()}-2`, `-${Date.now()}-3`];
    for (const [i, partnerOrderId] of orders.entries()) {
      const member = system.credentials.members[4 + i];
      const claimed = await ok(await memberToken(system, member.id), `mutation ($b: ID!) { claimVoucher(batchId: $b) { code } }`, {
        b: DEMO_VOUCHER_BATCHES.travelHotel,
      });
      await ok(partner, `mutation ($i: RedeemVoucherInput!) { redeemVoucher(input: $i) { id } }`, {
        i: { code: claimed.claimVoucher.code, partnerOrderId, orderAmountFen: 68_800 + i * 1_001 },
      });
    }
    await ok(partner, `mutation ($o: String!) { cancelRedemption(partnerOrderId: $o, reason: "用户退订") { status } }`, { o: orders[1] });

    const { redemptionStatement: s } = await ok(
      partner,
      `query ($m: String!) { redemptionStatement(month: $m) { month partnerId completedCount completedDiscountFen completedOrderAmountFen cancelledCount rowCount sha256 csv } }`,
      { m: month },
    );
    const { start, end } = shanghaiMonth(month);
    const [expected] = (
      await sql.query(
        `SELECT count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed, count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled,
                coalesce(sum(discount_fen) FILTER (WHERE status = 'COMPLETED'), 0)::bigint AS discount,
                coalesce(sum(order_amount_fen) FILTER (WHERE status = 'COMPLETED'), 0)::bigint AS orders
           FROM benefit.redemptions WHERE partner_id = $1 AND created_at >= $2 AND created_at < $3`,
        [DEMO_PARTNERS.travelPartner.id, start, end],
      )
    ).rows;
    expect(expected).toMatchObject({ completed: 2, cancelled: 1 });
    expect(s).toMatchObject({
      month,
      partnerId: DEMO_PARTNERS.travelPartner.id,
      completedCount: expected.completed,
      cancelledCount: expected.cancelled,
      completedDiscountFen: Number(expected.discount),
      completedOrderAmountFen: Number(expected.orders),
      rowCount: expected.completed + expected.cancelled,
    });

    const { bytes, rows } = await openInExcel('redemptions.csv', s.csv);
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(s.sha256).toBe(sha256(bytes));
    const header = rows[0].map((cell) => String(cell).replace(/^\uFEFF/, ''));
    expect(header[0]).toBe('redemption_id');
    const col = (name: string) => header.indexOf(name);
    const body = rows.slice(1).filter((row) => row.some((cell) => cell !== null && cell !== undefined && cell !== ''));
    expect(body).toHaveLength(s.rowCount);
    const completed = body.filter((row) => row[col('status')] === 'COMPLETED');
    expect(completed).toHaveLength(expected.completed);
    expect(body.filter((row) => row[col('status')] === 'CANCELLED')).toHaveLength(expected.cancelled);
    expect(completed.reduce((acc, row) => acc + Number(row[col('discount_fen')]), 0)).toBe(Number(expected.discount));
    expect(completed.reduce((acc, row) => acc + Number(row[col('order_amount_fen')]), 0)).toBe(Number(expected.orders));
    // Formulas stay text: the apostrophe keeps Excel from running them.
    const orderCells = body.map((row) => String(row[col('partner_order_id')]));
    expect(orderCells).toContain(`'${orders[0]}`);
    expect(orderCells).toContain(`'${orders[2]}`);
    expect(orderCells).toContain(orders[1]);
  });
});
