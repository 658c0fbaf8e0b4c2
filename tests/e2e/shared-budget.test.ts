import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import type { DemoPartnerKey } from '@union/common';
import { freePort, repoRoot } from '../../scripts/src/system';
import { startRedis, type RunningRedis } from '../testkit/redis';
import { startSystem, type RunningSystem } from '../testkit/system';
import { eventually, sql } from './access-support';

/**
 * Two gateway replicas against one real Redis (issue 11 item 5, issue 10 item 6): one budget per
 * partner across both, failed logins counted per (client id, address) across both, X-Forwarded-For
 * believed only from TRUSTED_PROXIES, and Redis going away costs sharing, never an error.
 */

const signingKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const logs: string[] = [];
let redis: RunningRedis;
let system: RunningSystem;
let second: { child: ChildProcess; baseUrl: string };
let replicas: string[];

/** Replica settings: both gateways sign with one key, so a token from one works at the other, as behind a balancer. */
const replicaEnv = () => ({
  REDIS_URL: redis.url,
  JWT_PRIVATE_KEY_PEM: signingKey,
  PARTNER_CACHE_SECONDS: '1',
  // The tests' requests come from 127.0.0.1, standing in for the load balancer; 127.0.0.2 is "the internet".
  TRUSTED_PROXIES: '127.0.0.1',
});

async function startSecondGateway(): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot, 'gateway/dist/index.js')], {
    env: {
      ...process.env,
      ...system.secrets,
      DATABASE_URL: system.databaseUrl,
      HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      MEMBER_SUBGRAPH_URL: system.subgraphUrls.member,
      BENEFIT_SUBGRAPH_URL: system.subgraphUrls.benefit,
      POINTS_SUBGRAPH_URL: system.subgraphUrls.points,
      ...replicaEnv(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) =>
    logs.push(
      ...chunk
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((line) => `[gateway-2] ${line}`),
    );
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const baseUrl = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`second gateway exited: ${logs.join('\n')}`);
    return fetch(`${baseUrl}/health`).then(
      (r) => r.ok,
      () => false,
    );
  }, 60_000);
  return { child, baseUrl };
}

beforeAll(async () => {
  redis = await startRedis();
  system = await startSystem({ env: replicaEnv(), log: (line) => logs.push(line) });
  second = await startSecondGateway();
  replicas = [system.baseUrl, second.baseUrl];
});

afterAll(async () => {
  if (second?.child.exitCode === null) {
    const exited = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    await exited;
  }
  await system?.stop();
  await redis?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, any>;
}

/** One HTTP request over node:http, so that the test can choose its own source address. */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers, localAddress: options.localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const partner = (key: DemoPartnerKey) => system.credentials.partners[key];

function login(baseUrl: string, key: DemoPartnerKey, options: { secret?: string; forwardedFor?: string; localAddress?: string } = {}) {
  const { clientId, clientSecret } = partner(key);
  return call(`${baseUrl}/oauth/token`, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${options.secret ?? clientSecret}`).toString('base64')}`,
      ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
    },
    body: 'grant_type=client_credentials',
    localAddress: options.localAddress,
  });
}

const graphql = (baseUrl: string, token: string, query: string) =>
  call(`${baseUrl}/graphql`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });

async function accessToken(key: DemoPartnerKey): Promise<string> {
  const answer = await login(system.baseUrl, key);
  if (answer.status !== 200) throw new Error(`no token for ${key}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

const budgetOf = (answer: Answer) => ({
  limit: Number(answer.headers['ratelimit-limit']),
  remaining: Number(answer.headers['ratelimit-remaining']),
  reset: Number(answer.headers['ratelimit-reset']),
});

describe('one budget across gateway replicas (REDIS_URL)', () => {
  it('a partner with a budget of 120 gets two operations of cost 51 in all, whichever replica serves them', async () => {
    await sql(system, `UPDATE gateway.partners SET rate_limit_per_minute = 120 WHERE id = $1`, [partner('merchant').id]);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // PARTNER_CACHE_SECONDS
    const token = await accessToken('merchant');
    const rewards = '{ rewards(first: 50) { nodes { id } } }'; // costs 1 + 50 = 51

    const first = await graphql(replicas[0], token, rewards);
    expect(first.status).toBe(200);
    expect(budgetOf(first)).toMatchObject({ limit: 120, remaining: 69 });
    const secondAnswer = await graphql(replicas[1], token, rewards);
    expect(secondAnswer.status).toBe(200);
    // The second replica saw what the first one charged: one budget, not two.
    expect(budgetOf(secondAnswer)).toMatchObject({ limit: 120, remaining: 18 });

    for (const replica of replicas) {
      const refused = await graphql(replica, token, rewards);
      expect(refused.status).toBe(429);
      expect(refused.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 51, budgetPerMinute: 120 });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // A refusal spends nothing, and says so.
      expect(budgetOf(refused)).toEqual({ limit: 120, remaining: 18, reset: retryAfter });
    }
    // What is left still fits, on either replica.
    const small = await graphql(replicas[1], token, '{ rewards(first: 5) { nodes { id } } }');
    expect(small.status).toBe(200);
    expect(budgetOf(small).remaining).toBe(12);
  });

  it('answers refused before the charge carry the budget too', async () => {
    const token = await accessToken('otherHospital');
    const tooDeep = await graphql(replicas[1], token, `{ viewer { ${'organization { parent { '.repeat(10)}name${' } }'.repeat(10)} } }`);
    expect(tooDeep.status).toBe(400);
    expect(budgetOf(tooDeep).limit).toBe(30_000);
    expect(budgetOf(tooDeep).remaining).toBe(30_000);
  });
});

describe('failed logins stay with whoever failed (per client id and address, across replicas)', () => {
  const office = '198.51.100.20'; // one union office's NAT, seen through the load balancer

  it('35 wrong secrets of one partner hold it off, while another partner at the same address logs in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 35; i += 1) {
      statuses.push((await login(replicas[i % 2], 'hospital', { secret: `wrong-${i}`, forwardedFor: office })).status);
    }
    // Counted across both replicas: 30 real checks, then refusals without a secret check.
    expect(statuses.slice(0, 30)).toEqual(new Array(30).fill(401));
    expect(statuses.slice(30)).toEqual(new Array(5).fill(429));

    // Another partner behind the same address is not affected.
    for (const replica of replicas) expect((await login(replica, 'travelPartner', { forwardedFor: office })).status).toBe(200);

    // The failing partner is held off even with its right secret, until its minute is over.
    const held = await login(replicas[1], 'hospital', { forwardedFor: office });
    expect(held.status).toBe(429);
    expect(held.body.error).toBe('temporarily_unavailable');
    const retryAfter = Number(held.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // The same partner from its other site (another address) still gets in: nobody else can lock it out.
    expect((await login(replicas[0], 'hospital', { forwardedFor: '198.51.100.99' })).status).toBe(200);
  });

  it('believes X-Forwarded-For only from a trusted proxy: a caller cannot dodge its count by writing the header', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i += 1) {
      // 127.0.0.2 is not in TRUSTED_PROXIES: its made-up X-Forwarded-For is ignored and the peer address counts.
      statuses.push(
        (await login(replicas[i % 2], 'otherHospital', { secret: `wrong-${i}`, forwardedFor: `203.0.113.${i}`, localAddress: '127.0.0.2' })).status,
      );
    }
    expect(statuses.slice(0, 30)).toEqual(new Array(30).fill(401));
    expect(statuses[30]).toBe(429);
  });
});

describe('Redis unreachable', () => {
  it('fails open to each replica counting in its own memory, logged, with no 500 or 503', async () => {
    const token = await accessToken('travelPartner');
    await redis.stop();
    for (const replica of replicas) {
      const answer = await graphql(replica, token, '{ viewer { id } }');
      expect(answer.status).toBe(200);
      expect(budgetOf(answer).limit).toBe(30_000);
      expect((await login(replica, 'platform')).status).toBe(200);
    }
    await eventually(
      async () => logs.filter((line) => /Redis at redis:\/\/127\.0\.0\.1:\d+\/? unreachable.*fall back to this process's memory/.test(line)).length >= 2,
      10_000,
    );

    await redis.start();
    await eventually(async () => logs.filter((line) => /Redis at .* is back/.test(line)).length >= 2, 20_000);
    const answer = await graphql(replicas[0], token, '{ viewer { id } }');
    expect(answer.status).toBe(200);
  });
});
