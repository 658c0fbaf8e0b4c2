import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { memberToken, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';
import { eventually, sql } from './access-support';

/**
 * SIGTERM while requests are in flight (issue 11, item 6): a claim held up by a row lock in
 * PostgreSQL, and a member export streaming through the gateway with a slow reader. Every service
 * gets SIGTERM at once; new connections are refused at once; both requests still finish, complete;
 * then every process exits 0.
 */

const HOTEL_BATCH = 'c0000000-0000-4000-8000-000000000002';
// Enough rows that the export cannot sit whole in the socket buffers while the reader pauses.
const EXTRA_MEMBERS = 150_000;

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem({ env: { SHUTDOWN_GRACE_SECONDS: '60' } });
  const orgId = system.credentials.partners.districtUnion.organizationId!;
  // The member schema's triggers name its tables unqualified, as the member subgraph's sessions do.
  const client = new Client({ connectionString: system.databaseUrl, options: '-c search_path=member' });
  await client.connect();
  await client.query(
    `INSERT INTO member.members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number, status, real_name_verified, new_employment_form, joined_at)
     SELECT gen_random_uuid(), o.id, o.path, '测试会员', sha256(('graceful-shutdown-' || g)::text::bytea), '0000', '13800000000',
            'GD' || lpad((900000000000 + g)::text, 12, '0'), 'ACTIVE', true, false, now()
       FROM generate_series(1, ${EXTRA_MEMBERS}) g, member.organizations o WHERE o.id = $1`,
    [orgId],
  );
  await client.end();
}, 300_000);
afterAll(() => system?.stop());

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

const refused = async (url: string) => {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
};

it('finishes a slow claim and a streaming export in flight, refuses new connections, then exits 0', async () => {
  const union = await partnerToken(system, 'districtUnion');
  const member = await memberToken(system, system.credentials.members[2].id);
  const orgId = system.credentials.partners.districtUnion.organizationId!;
  const [{ count: expectedRows }] = await sql<{ count: string }>(
    system,
    `SELECT count(*) FROM member.members m, member.organizations o WHERE o.id = $1 AND m.org_path LIKE o.path || '%'`,
    [orgId],
  );

  // A claim that waits on the voucher pool, every stripe of it locked here.
  const lock = new Client({ connectionString: system.databaseUrl });
  // Should the test fail while the lock is held, stopping the system ends this session: not an
  // unhandled error on top of the failure.
  lock.on('error', () => undefined);
  await lock.connect();
  await lock.query('BEGIN');
  await lock.query('SELECT 1 FROM benefit.voucher_batch_stripes WHERE batch_id = $1 FOR NO KEY UPDATE', [HOTEL_BATCH]);
  const claim = fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
    body: JSON.stringify({ query: `mutation { claimVoucher(batchId: "${HOTEL_BATCH}") { code status } }` }),
  });
  const settled = claim.then(async (r) => `claim answered before the lock was released: ${r.status} ${await r.clone().text()}`);
  await Promise.race([
    eventually(async () => {
      const waiting = await sql(system, `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%claim_voucher%'`);
      return waiting.length > 0;
    }, 30_000),
    settled.then((message) => {
      throw new Error(message);
    }),
  ]);

  // An export whose reader takes the first bytes and then stops reading for a while.
  const url = new URL('/exports/members', system.baseUrl);
  url.searchParams.set('organizationId', orgId);
  url.searchParams.set('format', 'ndjson');
  const exportResponse = await fetch(url, { headers: { authorization: `Bearer ${union}` } });
  expect(exportResponse.status).toBe(200);
  const reader = exportResponse.body!.getReader();
  const first = await reader.read();
  expect(first.done).toBe(false);
  const streaming = await sql(system, `SELECT 1 FROM member.member_exports WHERE status = 'STREAMING'`);
  expect(streaming).toHaveLength(1);

  // The launcher would restart a service that exits: it stops supervising them, and the test
  // sends SIGTERM itself, as an orchestrator does.
  const supervised = Object.values(system.processes);
  for (const process of supervised) process.halt();
  const processes = supervised.map((process) => process.current()!);
  const exits = processes.map(exited);
  for (const child of processes) child.kill('SIGTERM');

  // No new connections, at once: each process closes its listener as soon as it handles the
  // signal, which on a loaded machine is not the same millisecond for all of them.
  const healthUrls = [system.baseUrl, ...Object.values(system.subgraphUrls).map((url) => url.replace(/\/graphql$/, ''))];
  for (const base of healthUrls) await eventually(() => refused(`${base}/health`), 5_000, 50);

  // The requests in flight are still being served: let them go on.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await lock.query('COMMIT');
  await lock.end();
  const claimed = await claim;
  expect(claimed.status).toBe(200);
  const claimBody = (await claimed.json()) as { data?: { claimVoucher: { code: string; status: string } }; errors?: unknown };
  expect(claimBody.errors).toBeUndefined();
  expect(claimBody.data?.claimVoucher.code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);

  const decoder = new TextDecoder();
  let text = decoder.decode(first.value, { stream: true });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(Number(expectedRows));
  expect(JSON.parse(lines[lines.length - 1])).toHaveProperty('id');

  // Then every service stops by itself, cleanly.
  const results = await Promise.all(exits);
  expect(results).toEqual(processes.map(() => ({ code: 0, signal: null })));
}, 240_000);
