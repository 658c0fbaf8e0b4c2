import { Client } from 'pg';
import { CardTokenCodec } from '@union/member-subgraph/dist/modules/verification/card-token';
import { demoPartnerAccessToken, memberTokenExchange } from '../partner-token';
import { gatewayQuery, latencyColumns, outcomeOf, phase, type PhaseResult, runBench, withThrowawaySystem } from './load';

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

function print(r: PhaseResult): void {
  const f = (n: number) => n.toFixed(1);
  console.log(
    `${r.name.padEnd(44)} ${String(r.requests).padStart(6)} req in ${f(r.seconds).padStart(5)} s = ${f(r.perSecond).padStart(7)} req/s` +
      `  ${latencyColumns(r.latencies, [50, 99], 6)}  ${JSON.stringify(r.outcomes)}`,
  );
}

async function main(): Promise<void> {
  // Measures the service, not the per-partner budget: one hospital token sends every request.
  await withThrowawaySystem('hospital', { env: { RATE_LIMIT_PER_MINUTE: '100000000' } }, async (system) => {
    const [hospital, platform] = await Promise.all([
      demoPartnerAccessToken(system.credentials, 'hospital'),
      demoPartnerAccessToken(system.credentials, 'platform'),
    ]);
    const cityOrg = system.credentials.partners.cityUnion.organizationId;
    const listed = await gatewayQuery(
      system,
      platform,
      `query ($org: ID!) { organization(id: $org) { members(first: 100, filter: { status: ACTIVE }) { nodes { id } } } }`,
      { org: cityOrg },
    );
    const members: string[] = listed.data?.organization?.members?.nodes?.map((n: { id: string }) => n.id) ?? [];
    if (members.length === 0) throw new Error(`could not list members: ${JSON.stringify(listed.errors)}`);
    const memberTokens = await Promise.all(members.slice(0, 20).map((id) => demoPartnerAccessToken(system.credentials, 'platform', memberTokenExchange(id))));
    // Codes are made here with the platform key, exactly as issueMemberCardToken makes them, so the
    // verify phase measures scanning only (and every code is fresh: each is good for 60 s).
    const codec = new CardTokenCodec(system.secrets.CARD_TOKEN_SECRET);
    const runId = Date.now().toString(36);

    console.log(`hospital bench: ${concurrency} in flight, ${requestsPerPhase} requests per phase, ${members.length} members, through ${system.gatewayUrl}`);
    await phase('warm-up', 200, concurrency, async (i) => outcomeOf(await gatewayQuery(system, memberTokens[i % memberTokens.length], ISSUE)));

    const results: PhaseResult[] = [];
    results.push(
      await phase('issueMemberCardToken (member app)', requestsPerPhase, concurrency, async (i) =>
        outcomeOf(await gatewayQuery(system, memberTokens[i % memberTokens.length], ISSUE)),
      ),
    );
    const codes = Array.from({ length: requestsPerPhase }, (_, i) => codec.issue(members[i % members.length]).token);
    const verificationOf = new Map<string, string>();
    results.push(
      await phase('verifyMemberCard (fresh codes, 100 members)', requestsPerPhase, concurrency, async (i) => {
        const answer = await gatewayQuery(system, hospital, VERIFY, { token: codes[i] });
        const v = answer.data?.verifyMemberCard;
        if (v?.valid) verificationOf.set(members[i % members.length], v.verificationId);
        return v ? (v.valid ? 'valid' : v.reason) : outcomeOf(answer);
      }),
    );
    const verifications = members.map((id) => verificationOf.get(id)!).filter(Boolean);
    results.push(
      await phase('quoteHospitalDiscount', requestsPerPhase, concurrency, async (i) =>
        outcomeOf(await gatewayQuery(system, hospital, QUOTE, { v: verifications[i % verifications.length], amount: 1_000 + i })),
      ),
    );
    results.push(
      await phase('applyHospitalDiscount (spread over members)', requestsPerPhase, concurrency, async (i) =>
        outcomeOf(
          await gatewayQuery(system, hospital, APPLY, {
            input: { verificationId: verifications[i % verifications.length], invoiceNumber: `B-${runId}-S-${i}`, selfPaidFen: 1_000 },
          }),
        ),
      ),
    );
    results.push(
      await phase('applyHospitalDiscount (one member, row lock)', requestsPerPhase, concurrency, async (i) =>
        outcomeOf(
          await gatewayQuery(system, hospital, APPLY, { input: { verificationId: verifications[0], invoiceNumber: `B-${runId}-O-${i}`, selfPaidFen: 500 } }),
        ),
      ),
    );
    results.push(
      await phase('applyHospitalDiscount (idempotent replays)', requestsPerPhase, concurrency, async (i) =>
        outcomeOf(
          await gatewayQuery(system, hospital, APPLY, {
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
    console.log(
      `\nfinal: ${rows[0].claims} claims, ${rows[0].verifications} verifications, claimed ${rows[0].claimed} fen, usage rows ${rows[0].used} fen (${rows[0].claimed === rows[0].used ? 'equal' : 'MISMATCH'})`,
    );
  });
}

runBench(main);
