import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * CPU time per process, read from /proc (Linux only; null elsewhere). On a shared machine
 * requests per second move with whatever else runs; the CPU milliseconds each process spends per
 * request move much less, so every benchmark prints them.
 */

/** The process listening on a loopback TCP port, or null where that cannot be read. */
export function pidListeningOn(port: number): number | null {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const columns = line.trim().split(/\s+/);
        // local_address is HEXIP:HEXPORT; state 0A is LISTEN.
        if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === '0A') inodes.add(columns[9]);
      }
    }
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
          if (inode && inodes.has(inode)) return Number(pid);
        } catch {
          // the descriptor closed meanwhile
        }
      }
    }
  } catch {
    // not Linux, or /proc not readable
  }
  return null;
}

/** The fields of /proc/<pid>/stat after "pid (comm) ", or null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU milliseconds a process has used so far (clock ticks of 10 ms). */
export function cpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  const fields = statFields(pid);
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  return fields ? (Number(fields[11]) + Number(fields[12])) * 10 : null;
}

/** The process serving a loopback URL (found by the port it listens on), or null. */
export const pidServing = (url: string): number | null => pidListeningOn(Number(new URL(url).port));

/** A process's resident set size in KiB (VmRSS in /proc/<pid>/status), or null when it is gone. */
export function rssKiB(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds of PostgreSQL as a whole: backends come and go with the pools, so this is the
 * postmaster's own time, what its ended children used (cutime + cstime), and its live children's.
 */
export function postgresCpuMs(postmasterPid: number | null): number | null {
  if (postmasterPid === null) return null;
  const fields = statFields(postmasterPid);
  if (!fields) return null;
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const child = statFields(Number(pid));
    // The 2nd field after the name is the parent's pid.
    if (child && Number(child[1]) === postmasterPid) ticks += Number(child[11]) + Number(child[12]);
  }
  return ticks * 10;
}

/** Named CPU readers (process -> milliseconds so far); `sample` reads them all at once. */
export type CpuReaders = Record<string, () => number | null>;

export const sampleCpu = (readers: CpuReaders): Record<string, number | null> =>
  Object.fromEntries(Object.entries(readers).map(([name, read]) => [name, read()]));

/** CPU milliseconds per request of each process between two samples. */
export function cpuPerRequest(before: Record<string, number | null>, after: Record<string, number | null>, requests: number): Record<string, number> {
  const perRequest: Record<string, number> = {};
  for (const [name, start] of Object.entries(before)) {
    const end = after[name];
    if (start !== null && end !== null && end !== undefined) perRequest[name] = (end - start) / Math.max(1, requests);
  }
  return perRequest;
}

/** The URLs a started system serves on (the launcher's LaunchedSystem has them all). */
export interface SystemUrls {
  gatewayUrl: string;
  subgraphUrls: Record<string, string>;
  databaseUrl: string;
}

/**
 * CPU readers for every process of a started system: the gateway, each subgraph and PostgreSQL.
 * The pids are found once (by the port each listens on): scanning /proc per sample would cost the
 * machine while it is measured.
 */
export function systemCpuReaders(system: SystemUrls): CpuReaders {
  const readers: CpuReaders = {};
  const gateway = pidServing(system.gatewayUrl);
  readers.gateway = () => cpuMs(gateway);
  for (const [name, url] of Object.entries(system.subgraphUrls)) {
    const pid = pidServing(url);
    readers[name] = () => cpuMs(pid);
  }
  const postmaster = pidServing(system.databaseUrl);
  readers.postgres = () => postgresCpuMs(postmaster);
  return readers;
}
