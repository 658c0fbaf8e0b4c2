import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { CardTokenCodec } from '@union/member-subgraph/dist/modules/verification/card-token';
import { launchSystem, type LaunchedSystem } from '../system';

/**
 * Hospital counter benchmark through the gateway (not a test): `node scripts/dist/bench/hospital.js`.
 * Starts the whole system on a throw-away embedded PostgreSQL and measures, each phase with
 * BENCH_CONCURRENCY requests in flight (default 10) and BENCH_REQUESTS requests (default 2000):
 *   issueMemberCardToken   member app refreshing its QR code (MEMBER tokens)
 *   verifyMemberCard       a hospital scanning fresh codes of 100 members (one insert per scan)
 *   quoteHospitalDiscount  preview, no writes
 *   applyHospitalDiscount  new invoices spread over 100 members
 *   applyHospitalDiscount  new invoices all for one member (every apply waits for that member's usage row)
 *   applyHospitalDiscount  retries of invoices already applied (idempotent replays)
 * then checks that the discount_usage rows equal the sum of the claims.
 */

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const requestsPerPhase = Number(process.env.BENCH_REQUESTS ?? 2000);

const ISSUE = `mutation { issueMemberCardToken { token expiresAt } }`;
const VERIFY = `mutation ($token: String!) { verifyMemberCard(token: $token, purpose: HOSPITAL_DISCOUNT) { valid reason verificationId } }`;
const QUOTE = `mutation ($v: ID!, $amount: Int!) { quoteHospitalDiscount(verificationId: $v, selfPaidFen: $amount) { discountFen } }`;
const APPLY = `mutation ($input: ApplyHospitalDiscountInput!) { applyHospitalDiscount(input: $input) { id discountFen } }`;

type Answer = { data?: Record<string, any> | null; errors?: Array<{ extensions?: { code?: string } }> }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function token(system: LaunchedSystem, partner: 'hospital' | 'platform', extra: Record<string, string> = {}): Promise<string> {
  const { clientId, clientSecret } = system.credentials.partners[partner];
  const response = await fetch(system.credentials.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...extra }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

const memberToken = (system: LaunchedSystem, memberId: string) =>
  token(system, 'platform', {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: memberId,
    subject_token_type: 'urn:union-benefits:params:oauth:token-type:member-id',
  });

async function graphql(system: LaunchedSystem, bearer: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Answer;
}

const outcome = (answer: Answer) => (answer.errors?.length ? (answer.errors[0].extensions?.code ?? 'error') : 'ok');

interface PhaseResult {
  name: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  outcomes: Record<string, number>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function phase(name: string, count: number, send: (i: number) => Promise<string>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        const result = await send(i).catch((error: unknown) => `network: ${(error as Error).message}`);
        latencies.push(performance.now() - t0);
        outcomes[result] = (outcomes[result] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { name, requests: count, seconds, perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1], outcomes };
}

function print(r: PhaseResult): void {
  const f = (n: number) => n.toFixed(1);
  console.log(
    `${r.name.padEnd(44)} ${String(r.requests).padStart(6)} req in ${f(r.seconds).padStart(5)} s = ${f(r.perSecond).padStart(7)} req/s` +
      `  p50 ${f(r.p50).padStart(6)} ms  p99 ${f(r.p99).padStart(6)} ms  max ${f(r.max).padStart(6)} ms  ${JSON.stringify(r.outcomes)}`,
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'union-bench-hospital-'));
  // Run as root, embedded PostgreSQL runs as its own user, which must reach its data directory.
  chmodSync(dataDir, 0o755);
  // Measures the service, not the per-partner budget: one hospital token sends every request.
  const system = await launchSystem({ dataDir, persist: true, log: () => {}, env: { RATE_LIMIT_PER_MINUTE: '100000000' } });
  try {
    const [hospital, platform] = await Promise.all([token(system, 'hospital'), token(system, 'platform')]);
    const cityOrg = system.credentials.partners.cityUnion.organizationId;
    const listed = await graphql(system, platform, `query ($org: ID!) { organization(id: $org) { members(first: 100, filter: { status: ACTIVE }) { nodes { id } } } }`, { org: cityOrg });
    const members: string[] = listed.data?.organization?.members?.nodes?.map((n: { id: string }) => n.id) ?? [];
    if (members.length === 0) throw new Error(`could not list members: ${JSON.stringify(listed.errors)}`);
    const memberTokens = await Promise.all(members.slice(0, 20).map((id) => memberToken(system, id)));
    // Codes are made here with the platform key, exactly as issueMemberCardToken makes them, so the
    // verify phase measures scanning only (and every code is fresh: each is good for 60 s).
    const codec = new CardTokenCodec(system.secrets.CARD_TOKEN_SECRET);
    const runId = Date.now().toString(36);

    console.log(`hospital bench: ${concurrency} in flight, ${requestsPerPhase} requests per phase, ${members.length} members, through ${system.gatewayUrl}`);
    await phase('warm-up', 200, async (i) => outcome(await graphql(system, memberTokens[i % memberTokens.length], ISSUE)));

    const results: PhaseResult[] = [];
    results.push(await phase('issueMemberCardToken (member app)', requestsPerPhase, async (i) => outcome(await graphql(system, memberTokens[i % memberTokens.length], ISSUE))));
    const codes = Array.from({ length: requestsPerPhase }, (_, i) => codec.issue(members[i % members.length]).token);
    const verificationOf = new Map<string, string>();
    results.push(
      await phase('verifyMemberCard (fresh codes, 100 members)', requestsPerPhase, async (i) => {
        const answer = await graphql(system, hospital, VERIFY, { token: codes[i] });
        const v = answer.data?.verifyMemberCard;
        if (v?.valid) verificationOf.set(members[i % members.length], v.verificationId);
        return v ? (v.valid ? 'valid' : v.reason) : outcome(answer);
      }),
    );
    const verifications = members.map((id) => verificationOf.get(id)!).filter(Boolean);
    results.push(
      await phase('quoteHospitalDiscount', requestsPerPhase, async (i) =>
        outcome(await graphql(system, hospital, QUOTE, { v: verifications[i % verifications.length], amount: 1_000 + i })),
      ),
    );
    results.push(
      await phase('applyHospitalDiscount (spread over members)', requestsPerPhase, async (i) =>
        outcome(
          await graphql(system, hospital, APPLY, {
            input: { verificationId: verifications[i % verifications.length], invoiceNumber: `B-${runId}-S-${i}`, selfPaidFen: 1_000 },
          }),
        ),
      ),
    );
    results.push(
      await phase('applyHospitalDiscount (one member, row lock)', requestsPerPhase, async (i) =>
        outcome(await graphql(system, hospital, APPLY, { input: { verificationId: verifications[0], invoiceNumber: `B-${runId}-O-${i}`, selfPaidFen: 500 } })),
      ),
    );
    results.push(
      await phase('applyHospitalDiscount (idempotent replays)', requestsPerPhase, async (i) =>
        outcome(
          await graphql(system, hospital, APPLY, {
            input: { verificationId: verifications[i % verifications.length], invoiceNumber: `B-${runId}-S-${i}`, selfPaidFen: 1_000 },
          }),
        ),
      ),
    );
    console.log('');
    for (const result of results) print(result);

    const sql = new Client({ connectionString: system.databaseUrl });
    await sql.connect();
    const { rows } = await sql.query(
      `SELECT (SELECT count(*)::int FROM benefit.discount_claims) AS claims,
              (SELECT coalesce(sum(discount_fen), 0)::bigint FROM benefit.discount_claims WHERE status = 'APPLIED') AS claimed,
              (SELECT coalesce(sum(used_fen), 0)::bigint FROM benefit.discount_usage) AS used,
              (SELECT count(*)::int FROM member.member_verifications) AS verifications`,
    );
    await sql.end();
    console.log(`\nfinal: ${rows[0].claims} claims, ${rows[0].verifications} verifications, claimed ${rows[0].claimed} fen, usage rows ${rows[0].used} fen (${rows[0].claimed === rows[0].used ? 'equal' : 'MISMATCH'})`);
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
});
