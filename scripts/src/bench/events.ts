import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { demoPartnerAccessToken } from '../partner-token';
import { gatewayQuery, latencyColumns, runBench, withThrowawaySystem } from './load';

/**
 * Events benchmark (not a test): `node scripts/dist/bench/events.js`. Starts the whole system on a
 * throw-away embedded PostgreSQL, registers a PLATFORM webhook endpoint on a loopback receiver that
 * verifies every signature (standardwebhooks), then sends awardPoints at a steady rate and prints
 * the delivery lag, commit to receipt, as p50/p99: from the moment the write's answer arrived (the
 * write had committed by then) to the moment the receiver got the webhook. Then reads the feed as fast
 * as one client can, 100 events a page: events/s for PLATFORM and for a union.
 *
 * BENCH_RATE (default 100) writes per second, BENCH_SECONDS (default 20), BENCH_FEED_SECONDS (default 10).
 */

const rate = Number(process.env.BENCH_RATE ?? 100);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const feedSeconds = Number(process.env.BENCH_FEED_SECONDS ?? 10);

const AWARD = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { id } }`;
const FEED = `query ($after: String) { events(after: $after, first: 100) { nodes { id type subjectId data } pageInfo { hasNextPage endCursor } } }`;

async function main(): Promise<void> {
  await withThrowawaySystem('events', { env: { RATE_LIMIT_PER_MINUTE: '100000000', MAX_QUERY_COST: '100000' } }, async (system) => {
    const platform = await demoPartnerAccessToken(system.credentials, 'platform');
    const union = await demoPartnerAccessToken(system.credentials, 'cityUnion');
    // Spread over 100 members: events of one member are delivered one after the other (per-subject order).
    const cityOrg = system.credentials.partners.cityUnion.organizationId;
    const listed = await gatewayQuery(
      system,
      platform,
      `query ($org: ID!) { organization(id: $org) { members(first: 100, filter: { status: ACTIVE }) { nodes { id } } } }`,
      { org: cityOrg },
    );
    const members: string[] = listed.data?.organization?.members?.nodes?.map((n: { id: string }) => n.id) ?? [];
    if (members.length === 0) throw new Error(`could not list members: ${JSON.stringify(listed.errors)}`);

    const received = new Map<string, number>();
    let secret = '';
    let refused = 0;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
          const payload = JSON.parse(body) as { timestamp: string; data: { sourceRef?: string } };
          if (payload.data.sourceRef && !received.has(payload.data.sourceRef)) received.set(payload.data.sourceRef, at);
          res.writeHead(204).end();
        } catch {
          refused += 1;
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const created = await gatewayQuery(
      system,
      platform,
      `mutation ($url: String!) { createWebhookEndpoint(url: $url, eventTypes: [POINTS_AWARDED]) { secret } }`,
      { url },
    );
    secret = created.data?.createWebhookEndpoint?.secret;
    if (!secret) throw new Error(`could not create the endpoint: ${JSON.stringify(created.errors)}`);

    const runId = Date.now().toString(36);
    const committedAt = new Map<string, number>();
    const inFeed = new Set<string>();
    let failed = 0;
    const failures: Record<string, number> = {};
    console.log(`events bench: awardPoints at ${rate}/s for ${seconds} s, a PLATFORM endpoint on ${url}, through ${system.gatewayUrl}`);
    const total = Math.round(rate * seconds);
    const started = Date.now();
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sourceRef = `bench-${runId}-${i}`;
      writes.push(
        gatewayQuery(system, platform, AWARD, { input: { memberId: members[i % members.length], rule: 'ACTIVITY', sourceRef, amount: 1 } }).then(
          (answer) => {
            if (answer.errors?.length) {
              failed += 1;
              const code = String(answer.errors[0]?.extensions?.code ?? answer.errors[0]?.message);
              failures[code] = (failures[code] ?? 0) + 1;
            } else committedAt.set(sourceRef, Date.now());
          },
          (error: Error) => {
            failed += 1;
            failures[error.message] = (failures[error.message] ?? 0) + 1;
          },
        ),
      );
    }
    const sendSeconds = (Date.now() - started) / 1000;
    await Promise.all(writes);
    const deadline = Date.now() + 60_000;
    while ([...committedAt.keys()].some((ref) => !received.has(ref)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));

    // Every committed write is in the feed too.
    let after: string | null = null;
    for (;;) {
      const page = await gatewayQuery(system, platform, FEED, { after });
      for (const node of page.data!.events.nodes as Array<{ data: string }>) {
        const data = JSON.parse(node.data) as { sourceRef?: string };
        if (data.sourceRef?.startsWith(`bench-${runId}-`)) inFeed.add(data.sourceRef);
      }
      after = page.data!.events.pageInfo.endCursor;
      if (!page.data!.events.pageInfo.hasNextPage) break;
    }

    const lags = [...committedAt]
      .filter(([ref]) => received.has(ref))
      .map(([ref, at]) => received.get(ref)! - at)
      .sort((a, b) => a - b);
    const missing = [...committedAt.keys()].filter((ref) => !received.has(ref)).length;
    console.log(
      `writes: ${committedAt.size} committed, ${failed} failed ${JSON.stringify(failures)}, sent at ${(total / sendSeconds).toFixed(1)}/s; deliveries: ${lags.length} received (${missing} missing, ${refused} refused signatures); ${inFeed.size} in the feed`,
    );
    if (lags.length > 0) console.log(`delivery lag, write answered -> webhook received: ${latencyColumns(lags, [50, 90, 99])}`);

    // Feed read rate: one client paging through everything it may see.
    for (const [who, token] of [
      ['PLATFORM', platform],
      ['city union', union],
    ] as const) {
      let events = 0;
      let pages = 0;
      let cursor: string | null = null;
      const until = Date.now() + feedSeconds * 1000;
      const t0 = Date.now();
      while (Date.now() < until) {
        const page = await gatewayQuery(system, token, FEED, { after: cursor });
        const nodes = page.data?.events?.nodes ?? [];
        events += nodes.length;
        pages += 1;
        cursor = page.data?.events?.pageInfo?.hasNextPage ? page.data.events.pageInfo.endCursor : null;
      }
      const elapsed = (Date.now() - t0) / 1000;
      console.log(`feed read, ${who}: ${(events / elapsed).toFixed(0)} events/s (${(pages / elapsed).toFixed(1)} pages of up to 100/s, one client)`);
    }
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });
}

runBench(main);
