// CPU time per process from Linux /proc, for the benchmarks' "CPU ms per request" columns. On a
// shared machine throughput moves with whatever else runs; CPU milliseconds per request move much
// less. Everything here answers null (or skips) where /proc cannot be read (not Linux).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Milliseconds per clock tick of /proc/<pid>/stat (USER_HZ is 100 on every Linux we run on). */
const MS_PER_TICK = 10;

/** The process listening on a loopback TCP port (Linux /proc), or null where that cannot be read. */
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

/**
 * The fields of /proc/<pid>/stat after "pid (comm) ", so index 0 is field 3 (state): ppid is
 * index 1, utime/stime/cutime/cstime (fields 14-17) are indexes 11-14. Null when the process is gone.
 */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU milliseconds a process has used so far (its own threads, not its children). */
export function cpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK : null;
}

/** The live children of a process: /proc/<pid>/task/<tid>/children where the kernel has it, else a scan of /proc for the ppid. */
function childrenOf(pid: number): number[] {
  try {
    const children: number[] = [];
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const listed = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (listed) children.push(...listed.split(/\s+/).map(Number));
    }
    return children;
  } catch {
    const children: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      if (statFields(Number(name))?.[1] === String(pid)) children.push(Number(name));
    }
    return children;
  }
}

/**
 * CPU milliseconds a PostgreSQL server has used so far, summed over its processes: the postmaster's
 * own time, what its exited children left it (cutime + cstime: backends of closed connections),
 * and the live children's utime + stime (backends, checkpointer, WAL writer, autovacuum ...).
 * Differences between two readings are meaningful; a backend exiting between them moves its time
 * from the live sum to cutime, so nothing is lost or counted twice.
 */
export function postgresCpuMs(postmasterPid: number | null): number | null {
  if (postmasterPid === null) return null;
  const fields = statFields(postmasterPid);
  if (!fields) return null;
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  for (const child of childrenOf(postmasterPid)) {
    const childFields = statFields(child);
    if (childFields) ticks += Number(childFields[11]) + Number(childFields[12]);
  }
  return ticks * MS_PER_TICK;
}
