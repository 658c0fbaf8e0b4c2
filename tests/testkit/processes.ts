import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidListeningOn } from '../../scripts/src/bench/process-cpu';
import { repoRoot } from '../../scripts/src/system';

export type ServiceName = 'member' | 'benefit' | 'points' | 'gateway';

const SCRIPTS: Record<ServiceName, string> = {
  member: 'subgraphs/member/dist/index.js',
  benefit: 'subgraphs/benefit/dist/index.js',
  points: 'subgraphs/points/dist/index.js',
  gateway: 'gateway/dist/index.js',
};

/**
 * The process id of one service of a started system, found like an operator would (by its command
 * line and the port it was given), so fault tests can kill the real process.
 */
export function serviceProcessId(service: ServiceName, port: number): number {
  const script = join(repoRoot, SCRIPTS[service]);
  const portVariable = `${service.toUpperCase()}_PORT=${port}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv.includes(script)) continue;
      const environment = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environment.includes(portVariable)) return Number(entry);
    } catch {
      // gone meanwhile, or not ours
    }
  }
  throw new Error(`no ${service} process on port ${port}`);
}

/** Kills the process with SIGKILL and waits until its port refuses connections. */
export async function killService(service: ServiceName, baseUrl: string): Promise<number> {
  const url = new URL(baseUrl);
  const pid = serviceProcessId(service, Number(url.port));
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      await fetch(`${url.origin}/health`, { signal: AbortSignal.timeout(1000) });
    } catch {
      return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${service} still answers after SIGKILL`);
}

/**
 * Makes sure the service is down before the next step: kills it again if something (a supervisor
 * restarting it, as it should) brought it back.
 */
export async function keepServiceDown(service: ServiceName, baseUrl: string): Promise<void> {
  const url = new URL(baseUrl);
  try {
    await fetch(`${url.origin}/health`, { signal: AbortSignal.timeout(1000) });
  } catch {
    return;
  }
  await killService(service, baseUrl);
}

/** The pid of the process listening on a loopback TCP port (Linux /proc), or null: the benchmarks' reader. */
export { pidListeningOn };

/** Waits until the service answers /health again (after a crash, the launcher starts it again). */
export async function waitForHealthy(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // down
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not come back within ${timeoutMs} ms`);
}
