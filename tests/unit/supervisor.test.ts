import { type ChildProcess, spawn } from 'node:child_process';
import { SupervisedProcess } from '../../scripts/src/supervisor';

/** The launcher's restart policy on plain child processes (`sleep`), with short delays. */
const POLICY = { initialDelayMs: 10, maxDelayMs: 40, stableAfterMs: 400 };

function sleeper(): Promise<ChildProcess> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

const terminate = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const delaysIn = (lines: string[]) =>
  lines
    .map((line) => /restarting in (\d+) ms/.exec(line))
    .filter((m) => m !== null)
    .map((m) => Number(m![1]));

describe('SupervisedProcess', () => {
  it('restarts a killed process with delays doubling up to the maximum, and from the start again after a stable run', async () => {
    const lines: string[] = [];
    const supervised = new SupervisedProcess('sleeper', sleeper, terminate, (line) => lines.push(line), POLICY);
    await supervised.start();
    try {
      for (let kill = 0; kill < 4; kill += 1) {
        const restarted = supervised.nextRestart();
        process.kill(supervised.state().pid!, 'SIGKILL');
        await restarted;
      }
      expect(delaysIn(lines)).toEqual([10, 20, 40, 40]);
      await new Promise((resolve) => setTimeout(resolve, POLICY.stableAfterMs + 100));
      const restarted = supervised.nextRestart();
      process.kill(supervised.state().pid!, 'SIGKILL');
      await restarted;
      expect(delaysIn(lines).at(-1)).toBe(10);
      expect(supervised.state()).toMatchObject({ restarts: 5, running: true });
      expect(lines.filter((line) => line.includes('restarted'))).toHaveLength(5);
    } finally {
      await supervised.stop();
    }
  });

  it('keeps trying while the launch fails, and logs each failed try', async () => {
    const lines: string[] = [];
    let failuresLeft = 0;
    const flaky = async () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('port still taken');
      }
      return sleeper();
    };
    const supervised = new SupervisedProcess('flaky', flaky, terminate, (line) => lines.push(line), POLICY);
    await supervised.start();
    try {
      failuresLeft = 2;
      const restarted = supervised.nextRestart();
      process.kill(supervised.state().pid!, 'SIGKILL');
      await restarted;
      expect(lines.filter((line) => line.includes('did not come back (port still taken)'))).toHaveLength(2);
      expect(supervised.state()).toMatchObject({ restarts: 1, running: true });
    } finally {
      await supervised.stop();
    }
  });

  it('never restarts what stop() ends, nor what dies after halt()', async () => {
    const lines: string[] = [];
    const supervised = new SupervisedProcess('stopped', sleeper, terminate, (line) => lines.push(line), POLICY);
    await supervised.start();
    const pid = supervised.state().pid!;
    await supervised.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(supervised.state()).toMatchObject({ pid, running: false, restarts: 0 });

    const halted = new SupervisedProcess('halted', sleeper, terminate, (line) => lines.push(line), POLICY);
    await halted.start();
    halted.halt();
    process.kill(halted.state().pid!, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(halted.state()).toMatchObject({ running: false, restarts: 0 });
    expect(lines).toEqual([]);
  });
});
