import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase } from '../testkit/database';

const root = join(__dirname, '..', '..');
const secrets = { INTERNAL_SECRET: 'x'.repeat(40), ID_NUMBER_HMAC_KEY: 'y'.repeat(40), CARD_TOKEN_SECRET: 'z'.repeat(40) };

/** Starts a compiled service and returns how it exited: a start-up fault must be one clear line. */
function runService(script: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [join(root, script)], {
    env: { PATH: process.env.PATH, ...secrets, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr.trim() };
}

describe('services fail fast with one clear line', () => {
  it('a subgraph that cannot reach PostgreSQL says so and exits 1', () => {
    const { status, stderr } = runService('subgraphs/member/dist/index.js', { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/none', MEMBER_PORT: '0' });
    expect(status).toBe(1);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/none/);
  });

  it('a subgraph whose migrations are missing says to migrate', async () => {
    const database = await createTestDatabase('faults');
    try {
      const { status, stderr } = runService('subgraphs/points/dist/index.js', { DATABASE_URL: database.url, POINTS_PORT: '0' });
      expect(status).toBe(1);
      expect(stderr).toBe('points subgraph: database schema is not migrated; run "npm run migrate" (or npm start, which migrates) first');
    } finally {
      await database.drop();
    }
  });

  it('a port already in use is named', async () => {
    const database = await createTestDatabase('faults');
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { migrateMember } = await import('@union/member-subgraph');
      await migrateMember({ databaseUrl: database.url, dbSchema: 'member', poolSize: 1 });
      const { status, stderr } = runService('subgraphs/member/dist/index.js', { DATABASE_URL: database.url, MEMBER_PORT: String(port) });
      expect(status).toBe(1);
      expect(stderr).toBe(`member subgraph: port ${port} on 127.0.0.1 is already in use; stop the other process or set another port`);
    } finally {
      blocker.close();
      await database.drop();
    }
  });

  it('missing configuration lists every problem at once', () => {
    const result = spawnSync(process.execPath, [join(root, 'gateway/dist/index.js')], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('gateway: invalid configuration');
    expect(result.stderr).toContain('INTERNAL_SECRET');
    expect(result.stderr).toContain('DATABASE_URL');
  });

  it('a signing key that is no Ed25519 private key is a configuration problem, named with the others', () => {
    for (const pem of ['not a key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()]) {
      const result = spawnSync(process.execPath, [join(root, 'gateway/dist/index.js')], {
        env: { PATH: process.env.PATH, JWT_PRIVATE_KEY_PEM: pem, MAX_QUERY_DEPTH: 'deep' },
        encoding: 'utf8',
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('gateway: invalid configuration');
      expect(result.stderr).toMatch(/JWT_PRIVATE_KEY_PEM: (is not a PEM private key|must be an Ed25519 private key, not ec)/);
      expect(result.stderr).toContain('MAX_QUERY_DEPTH');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
