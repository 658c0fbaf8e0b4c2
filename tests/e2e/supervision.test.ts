import { errorCodes, gql, partnerToken } from '../testkit/client';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * Issue 10, item 2: the launcher (here through the test harness, which uses it) brings back a
 * process killed with SIGKILL, and a restarted subgraph is back in the graph without restarting
 * the gateway.
 */
let system: RunningSystem;
const lines: string[] = [];
beforeAll(async () => {
  system = await startSystem({ memberCount: 60, log: (line) => lines.push(line) });
});
afterAll(() => system?.stop());

const QUERY = `query ($id: ID!) { member(id: $id) { id displayName points { balance } vouchers { totalCount } } }`;

/** Polls until the member query answers without errors; the time it took, or -1 after 60 s. */
async function timeUntilAnswered(token: string, since: number): Promise<number> {
  while (Date.now() - since < 60_000) {
    const answer = await gql(system, token, QUERY, { id: system.credentials.members[0].id }).catch(() => null);
    if (answer && answer.status === 200 && errorCodes(answer).length === 0 && answer.body.data?.member?.points) return Date.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return -1;
}

describe('a service killed with SIGKILL comes back by itself', () => {
  it.each(['points', 'benefit', 'member'] as const)('%s: restarted, and queries through the same gateway succeed again within seconds', async (name) => {
    const token = await partnerToken(system, 'districtUnion');
    expect(await timeUntilAnswered(token, Date.now())).toBeGreaterThanOrEqual(0);
    const supervised = system.processes[name]!;
    const gatewayPid = system.processes.gateway!.state().pid;
    const before = supervised.state();
    const restarted = supervised.nextRestart();
    const killedAt = Date.now();
    process.kill(before.pid!, 'SIGKILL');
    await restarted;
    const recovered = await timeUntilAnswered(token, killedAt);
    console.log(`${name} killed with SIGKILL: answers again after ${recovered} ms`);
    expect(recovered).toBeGreaterThanOrEqual(0);
    expect(recovered).toBeLessThan(20_000);
    expect(supervised.state()).toMatchObject({ running: true, restarts: before.restarts + 1 });
    expect(supervised.state().pid).not.toBe(before.pid);
    expect(system.processes.gateway!.state().pid).toBe(gatewayPid);
    expect(lines.some((line) => line.startsWith(`supervisor: ${name} (pid ${before.pid}) exited with SIGKILL`))).toBe(true);
  });

  it('gateway: restarted on the same port, and answers again', async () => {
    const token = await partnerToken(system, 'districtUnion');
    const gateway = system.processes.gateway!;
    const before = gateway.state();
    const restarted = gateway.nextRestart();
    const killedAt = Date.now();
    process.kill(before.pid!, 'SIGKILL');
    await restarted;
    // Tokens are signed with a key the restarted gateway still has, so the same token works.
    const recovered = await timeUntilAnswered(token, killedAt);
    console.log(`gateway killed with SIGKILL: answers again after ${recovered} ms`);
    expect(recovered).toBeGreaterThanOrEqual(0);
    expect(gateway.state().restarts).toBe(before.restarts + 1);
  });

  it('backs off when a process keeps dying: the delays double', async () => {
    const points = system.processes.points!;
    const token = await partnerToken(system, 'districtUnion');
    for (let round = 0; round < 3; round += 1) {
      const restarted = points.nextRestart();
      process.kill(points.state().pid!, 'SIGKILL');
      await restarted;
    }
    const delays = lines
      .filter((line) => line.startsWith('supervisor: points') && line.includes('restarting in'))
      .map((line) => Number(/restarting in (\d+) ms/.exec(line)![1]));
    // The first kill above came after a stable run or not; the last three kills follow each other quickly.
    const lastThree = delays.slice(-3);
    expect(lastThree[1]).toBe(lastThree[0] * 2);
    expect(lastThree[2]).toBe(lastThree[1] * 2);
    expect(await timeUntilAnswered(token, Date.now())).toBeGreaterThanOrEqual(0);
  });
});
