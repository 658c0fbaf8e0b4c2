import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoCredentials } from '@union/common';
import { freePorts, repoRoot } from '../../scripts/src/system';
import type { SupervisedState } from '../../scripts/src/supervisor';

/**
 * `npm start` as a user runs it (node scripts/dist/start.js, compiled by `npm test`), on its own
 * embedded PostgreSQL in dataDir and free loopback ports: for the tests of start/stop/start,
 * supervision of PostgreSQL and crash consistency, which must not touch the shared test server.
 */
export interface Launcher {
  child: ChildProcess;
  dataDir: string;
  gatewayUrl: string;
  databaseUrl: string;
  credentials: DemoCredentials;
  /** Everything the launcher printed so far (its own lines and the services'). */
  output(): string;
  /** processes.json as the launcher keeps it. */
  processes(): Record<string, SupervisedState>;
  /** Resolves once the named process has a new pid and is running. */
  waitForRestart(name: string, oldPid: number, timeoutMs?: number): Promise<SupervisedState>;
  /** SIGTERM, like Ctrl-C; resolves with the exit code once everything is down. */
  stop(): Promise<number | null>;
}

export interface LauncherOptions {
  memberCount?: number;
  env?: Record<string, string>;
  /** Run npm start as this user (needs root): how a normal user runs it. */
  user?: { uid: number; gid: number };
}

export async function startLauncher(dataDir: string, options: LauncherOptions = {}): Promise<Launcher> {
  // Every port npm start listens on, picked at once: ports picked one by one can repeat, and a port
  // left to npm start could be one of these, given out again before its service binds it.
  const [gateway, member, benefit, points, events, postgres] = await freePorts(6);
  const ports = { GATEWAY_PORT: gateway, MEMBER_PORT: member, BENEFIT_PORT: benefit, POINTS_PORT: points, EVENTS_PORT: events, EMBEDDED_PG_PORT: postgres };
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, DEMO_MEMBER_COUNT: String(options.memberCount ?? 60), HOST: '127.0.0.1', ...options.env };
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  for (const name of ['DATABASE_URL', 'MEMBER_SUBGRAPH_URL', 'BENEFIT_SUBGRAPH_URL', 'POINTS_SUBGRAPH_URL', 'NODE_ENV']) delete env[name];
  const child = spawn(process.execPath, [join(repoRoot, 'scripts/dist/start.js')], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], ...options.user });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
    if (process.env.UNION_TEST_LOGS === '1') process.stdout.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 180_000;
  while (!output.includes('Union benefits API is up.')) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start was not up within 180 s:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const readJson = (name: string) => JSON.parse(readFileSync(join(dataDir, name), 'utf8'));
  const processes = () => Object.fromEntries((readJson('processes.json').processes as SupervisedState[]).map((p) => [p.name, p]));
  return {
    child,
    dataDir,
    gatewayUrl: `http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`,
    databaseUrl: readJson('embedded-postgres.json').databaseUrl,
    credentials: readJson('demo-credentials.json'),
    output: () => output,
    processes,
    async waitForRestart(name, oldPid, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const state = existsSync(join(dataDir, 'processes.json')) ? processes()[name] : undefined;
        if (state && state.running && state.pid !== oldPid) return state;
        if (Date.now() > until) throw new Error(`${name} was not restarted within ${timeoutMs} ms:\n${output.slice(-4000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
