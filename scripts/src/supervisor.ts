import type { ChildProcess } from 'node:child_process';

/** Restart delays: 0.2 s doubling to 10 s; back to 0.2 s once a process has stayed up for 30 s. */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that ran this long before dying was healthy: its next restart starts from the initial delay again. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 200, maxDelayMs: 10_000, stableAfterMs: 30_000 };

/** Starts the process and resolves once it serves (health answered, database accepting connections). */
export type Launch = () => Promise<ChildProcess>;

/** How a supervised process is doing, for tests and the start banner. */
export interface SupervisedState {
  name: string;
  pid: number | undefined;
  /** Restarts that brought the process back (failed attempts are not counted). */
  restarts: number;
  running: boolean;
}

/**
 * Keeps one process running: when it exits without being asked to, it is started again after a
 * delay that doubles with each consecutive failure, and every exit and restart is logged.
 * `stop()` first marks the process as stopping, so an exit it causes is never restarted.
 */
export class SupervisedProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private delayMs: number;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private restartCount = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    private readonly launch: Launch,
    /** Stops the current process gracefully; resolves once it exited. */
    private readonly terminate: (child: ChildProcess) => Promise<void>,
    private readonly log: (line: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    /** Called after every start, exit and restart (the launcher keeps processes.json current with it). */
    private readonly onChange: () => void = () => {},
  ) {
    this.delayMs = policy.initialDelayMs;
  }

  /** The first start: a failure here is the caller's (a broken build or configuration is not retried). */
  async start(): Promise<void> {
    this.adopt(await this.launch());
  }

  state(): SupervisedState {
    const child = this.child;
    return { name: this.name, pid: child?.pid, restarts: this.restartCount, running: !!child && child.exitCode === null && child.signalCode === null };
  }

  /** Resolves after the next successful restart (tests wait on it after killing a process). */
  nextRestart(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** The process running now (null before the first start); tests signal it themselves. */
  current(): ChildProcess | null {
    return this.child;
  }

  /** No more restarts (the process keeps running until stop()). */
  halt(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async stop(): Promise<void> {
    this.halt();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) await this.terminate(child);
  }

  private adopt(child: ChildProcess): void {
    this.child = child;
    this.startedAt = Date.now();
    this.onChange();
    child.once('exit', (code, signal) => {
      this.onChange();
      if (this.stopping || this.child !== child) return;
      const ranMs = Date.now() - this.startedAt;
      if (ranMs >= this.policy.stableAfterMs) this.delayMs = this.policy.initialDelayMs;
      this.log(
        `supervisor: ${this.name} (pid ${child.pid}) exited with ${signal ?? `code ${code}`} after ${(ranMs / 1000).toFixed(1)} s; restarting in ${this.delayMs} ms`,
      );
      this.schedule();
    });
  }

  private schedule(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.policy.maxDelayMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopping) return;
      this.launch().then(
        (child) => {
          if (this.stopping) {
            void this.terminate(child);
            return;
          }
          this.restartCount += 1;
          this.adopt(child);
          this.log(`supervisor: ${this.name} restarted (pid ${child.pid}, restart ${this.restartCount})`);
          for (const resolve of this.waiters) resolve();
          this.waiters.clear();
        },
        (error: unknown) => {
          if (this.stopping) return;
          this.log(`supervisor: ${this.name} did not come back (${firstLine(error)}); next try in ${this.delayMs} ms`);
          this.schedule();
        },
      );
    }, delay);
  }
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];
