import { request as httpRequest } from 'node:http';
import { createServer, connect, type Server } from 'node:net';
import { Client } from 'pg';
import { openVoucherBatchInput } from '../testkit/voucher-batches';
import { errorCodes, gql, memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * The client goes away (issue 10, items 7 and 9): a claim or grant whose answer is lost on the
 * way back is retried with its idempotencyKey and gets the first answer, with exactly one voucher
 * claimed; a member export whose client hangs up mid-stream is audited as not complete.
 */
let system: RunningSystem;
let sql: Client;
let dropper: Server;
let dropperUrl: string;

/**
 * A proxy in front of the gateway that forwards the request and, as soon as the answer starts to
 * come back, cuts both connections: the request was served, the caller never learns how.
 */
function startAnswerDropper(target: URL): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    client.pipe(upstream);
    upstream.once('data', () => {
      client.destroy();
      upstream.destroy();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  system = await startSystem();
  sql = new Client({ connectionString: system.databaseUrl });
  await sql.connect();
  dropper = await startAnswerDropper(new URL(system.gatewayUrl));
  const address = dropper.address();
  dropperUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`;
});
afterAll(async () => {
  await new Promise((resolve) => dropper?.close(resolve));
  await sql?.end();
  await system?.stop();
});

const CLAIM = `mutation ($batchId: ID!, $key: String) { claimVoucher(batchId: $batchId, idempotencyKey: $key) { id code } }`;
const GRANT = `mutation ($batchId: ID!, $memberIds: [ID!]!, $key: String) {
  grantVouchers(batchId: $batchId, memberIds: $memberIds, idempotencyKey: $key) { granted { id owner { id } } skipped { memberId reason } }
}`;

/** Sends the operation through the dropping proxy: resolves with how the request failed. */
async function sendAndLoseAnswer(token: string, query: string, variables: Record<string, unknown>): Promise<string> {
  try {
    const response = await fetch(dropperUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    await response.text();
    return `answered ${response.status}`;
  } catch (error) {
    return `lost: ${(error as Error).message}`;
  }
}

async function createBatch(totalQuantity: number): Promise<string> {
  const res = await gql(
    system,
    await partnerToken(system, 'cityUnion'),
    `mutation ($input: CreateVoucherBatchInput!) { createVoucherBatch(input: $input) { id } }`,
    {
      input: openVoucherBatchInput({ name: '断线重试券', faceValueFen: 2000, totalQuantity }),
    },
  );
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createVoucherBatch.id;
}

async function cityMembers(count: number): Promise<string[]> {
  return (
    await sql.query(
      `SELECT m.id FROM member.members m JOIN member.organizations o ON o.id = $1
        WHERE m.org_path LIKE o.path || '%' AND m.status = 'ACTIVE' ORDER BY m.id DESC LIMIT $2`,
      [system.credentials.partners.cityUnion.organizationId, count],
    )
  ).rows.map((r) => r.id as string);
}

const vouchersHeld = async (batchId: string, memberId: string) =>
  (await sql.query(`SELECT id FROM benefit.vouchers WHERE batch_id = $1 AND member_id = $2`, [batchId, memberId])).rows.map((r) => r.id as string);

describe('a claim whose answer was lost', () => {
  it('retried with its idempotencyKey, returns the same voucher, and exactly one was claimed', async () => {
    const batchId = await createBatch(1);
    const [memberId, other] = await cityMembers(2);
    const token = await memberToken(system, memberId);
    const lost = await sendAndLoseAnswer(token, CLAIM, { batchId, key: 'app-claim-7f3a' });
    expect(lost).toMatch(/^lost/);
    // The claim was made: the member holds the batch's only voucher, without knowing it.
    const held = await vouchersHeld(batchId, memberId);
    expect(held).toHaveLength(1);

    const retry = await gql(system, token, CLAIM, { batchId, key: 'app-claim-7f3a' });
    expect(errorCodes(retry)).toEqual([]);
    expect(retry.body.data!.claimVoucher.id).toBe(held[0]);
    expect(await vouchersHeld(batchId, memberId)).toEqual(held);
    const counters = (
      await sql.query(
        `SELECT (SELECT sum(claimed)::int FROM benefit.voucher_batch_stripes WHERE batch_id = b.id) AS claimed, total_quantity FROM benefit.voucher_batches b WHERE id = $1`,
        [batchId],
      )
    ).rows[0];
    expect(counters).toEqual({ claimed: 1, total_quantity: 1 });
    // The pool is empty for everyone else.
    expect(errorCodes(await gql(system, await memberToken(system, other), CLAIM, { batchId, key: 'other-member' }))).toEqual(['SOLD_OUT']);
  });

  it('without a key the retry is a second claim, which the limit refuses (why the key exists)', async () => {
    const batchId = await createBatch(5);
    const [memberId] = await cityMembers(3).then((ids) => ids.slice(2));
    const token = await memberToken(system, memberId);
    expect(await sendAndLoseAnswer(token, CLAIM, { batchId })).toMatch(/^lost/);
    expect(await vouchersHeld(batchId, memberId)).toHaveLength(1);
    expect(errorCodes(await gql(system, token, CLAIM, { batchId }))).toEqual(['LIMIT_REACHED']);
  });
});

describe('a grant whose answer was lost', () => {
  it('retried with its idempotencyKey, returns the first result and grants nothing more', async () => {
    const batchId = await createBatch(10);
    const memberIds = (await cityMembers(8)).slice(4);
    const token = await partnerToken(system, 'cityUnion');
    expect(await sendAndLoseAnswer(token, GRANT, { batchId, memberIds, key: 'grant-2026-11' })).toMatch(/^lost/);
    const granted = (await sql.query(`SELECT id, member_id FROM benefit.vouchers WHERE batch_id = $1`, [batchId])).rows;
    expect(granted).toHaveLength(4);
    const retry = await gql(system, token, GRANT, { batchId, memberIds, key: 'grant-2026-11' });
    expect(errorCodes(retry)).toEqual([]);
    expect(retry.body.data!.grantVouchers.granted.map((v: { id: string; owner: { id: string } }) => [v.id, v.owner.id]).sort()).toEqual(
      granted.map((r) => [r.id, r.member_id]).sort(),
    );
    expect(Number((await sql.query(`SELECT count(*) AS n FROM benefit.vouchers WHERE batch_id = $1`, [batchId])).rows[0].n)).toBe(4);
    expect(errorCodes(await gql(system, token, GRANT, { batchId, memberIds: memberIds.slice(1), key: 'grant-2026-11' }))).toEqual(['IDEMPOTENCY_CONFLICT']);
  });
});

interface ExportAudit {
  rows: number;
  complete: boolean;
  exportId: string;
}

async function exportAudits(): Promise<ExportAudit[]> {
  return (await sql.query(`SELECT detail FROM gateway.audit_records WHERE operation_name = 'GET /exports/members' ORDER BY id`)).rows.map((r) => r.detail);
}

/** Reads the export's first chunk, then hangs up (the partner's script crashed, a proxy timed out). */
function exportAndHangUp(token: string, organizationId: string): Promise<{ bytesRead: number; status: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`/exports/members?organizationId=${organizationId}&format=ndjson`, system.baseUrl);
    const req = httpRequest(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.once('data', (chunk: Buffer) => {
        // Stop reading so that nothing more drains, then cut the connection.
        res.pause();
        setTimeout(() => {
          req.destroy();
          resolve({ bytesRead: chunk.length, status: res.statusCode ?? 0 });
        }, 300);
      });
    });
    req.on('error', () => undefined);
    req.once('error', reject);
    req.end();
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('an export whose client went away', () => {
  const exportUrl = (organizationId: string) => `${system.baseUrl}/exports/members?organizationId=${organizationId}&format=ndjson`;
  const subtreeSize = async (organizationId: string) =>
    Number(
      (
        await sql.query(`SELECT count(*) AS n FROM member.members m JOIN member.organizations o ON o.id = $1 WHERE m.org_path LIKE o.path || '%'`, [
          organizationId,
        ])
      ).rows[0].n,
    );

  it('is not complete when the whole file sat in network buffers and the client went away without reading it', async () => {
    const token = await partnerToken(system, 'cityUnion');
    const organizationId = system.credentials.partners.cityUnion.organizationId!;
    const before = (await exportAudits()).length;
    expect((await exportAndHangUp(token, organizationId)).status).toBe(200);
    const audit = await waitFor(async () => (await exportAudits())[before]);
    expect(audit.complete).toBe(false);
    expect(audit.rows).toBeGreaterThan(0);

    // Read to the end, the same export is complete, with every row.
    const total = await subtreeSize(organizationId);
    const response = await fetch(exportUrl(organizationId), { headers: { authorization: `Bearer ${token}` } });
    expect((await response.text()).split('\n').filter(Boolean)).toHaveLength(total);
    const full = await waitFor(async () => (await exportAudits())[before + 1]);
    expect(full).toMatchObject({ complete: true, rows: total });
  });

  it('is audited with the rows written so far and complete: false when the client hangs up mid-stream, and the member subgraph logs it ABORTED', async () => {
    const organizationId = system.credentials.partners.cityUnion.organizationId!;
    // Enough members that the file cannot sit in buffers: the stream must stop in the middle.
    // (The member schema's triggers name its tables unqualified.)
    await sql.query(`SET search_path TO member, public`);
    await sql.query(
      `INSERT INTO member.members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number,
                                   status, real_name_verified, new_employment_form, joined_at)
       SELECT gen_random_uuid(), o.id, o.path, '导出会员' || i, decode(md5('export-member-' || i), 'hex'), lpad((i % 10000)::text, 4, '0'),
              '138' || lpad(i::text, 8, '0'), 'GD7' || lpad(i::text, 11, '0'), 'ACTIVE', true, false, now()
         FROM member.organizations o, generate_series(1, 40000) AS i
        WHERE o.id = $1`,
      [organizationId],
    );
    await sql.query(`RESET search_path`);
    const total = await subtreeSize(organizationId);
    const token = await partnerToken(system, 'cityUnion');
    const before = (await exportAudits()).length;
    expect((await exportAndHangUp(token, organizationId)).status).toBe(200);
    const audit = await waitFor(async () => (await exportAudits())[before]);
    expect(audit.complete).toBe(false);
    expect(audit.rows).toBeGreaterThan(0);
    expect(audit.rows).toBeLessThan(total);
    const logged = await waitFor(async () => {
      const row = (await sql.query(`SELECT status, row_count FROM member.member_exports WHERE id = $1`, [audit.exportId])).rows[0];
      return row && row.status !== 'STREAMING' ? row : undefined;
    });
    expect(logged.status).toBe('ABORTED');
    expect(Number(logged.row_count)).toBeLessThan(total);
    console.log(
      `export of ${total} members, client gone after its first chunk: gateway audit rows ${audit.rows}, member subgraph rows ${logged.row_count} (ABORTED)`,
    );
  });
});
