import pg from 'pg';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

/**
 * Counts every statement a service sends to PostgreSQL, at the driver. Tests use it to prove that
 * the number of statements does not grow with the length of a list (no N+1).
 */
export class StatementCounter {
  count = 0;
  /** Every statement since the process started (never reset): what /metrics reports. */
  total = 0;
  reset(): void {
    this.count = 0;
  }
}

/** PostgreSQL's deadlock_detected: the transaction it aborted to break the cycle was rolled back whole. */
const isDeadlock = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '40P01';

/**
 * Runs `attempt` again when PostgreSQL aborted it to break a deadlock, up to `tries` times in all.
 * Only for work that is one transaction (or one autocommitted statement), which the abort rolled back
 * whole. Voucher claims and grants take their locks in an order that leaves no cycle (the last one,
 * at a pool's last stripes, went with migration ClaimWaitsHoldingNoStripe); this is for the one
 * nobody has found yet, which would otherwise reach a member as INTERNAL_SERVER_ERROR.
 */
export async function retryingDeadlocks<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDeadlock(error) || tried >= tries) throw error;
    }
  }
}

/**
 * One value per data source, made on first use: what a process shares over its pool (caches,
 * coalesced reads, claim groups). Keyed weakly, so a data source that is gone takes its value along.
 */
export function perDataSource<T>(make: (db: DataSource) => T): (db: DataSource) => T {
  const made = new WeakMap<DataSource, T>();
  return (db) => {
    let value = made.get(db);
    if (value === undefined) {
      value = make(db);
      made.set(db, value);
    }
    return value;
  };
}

const statementCounters = new WeakMap<DataSource, StatementCounter>();

/** The counter of the statements a data source sent (union_db_statements_total reads it). */
export const statementCounterOf = (dataSource: DataSource): StatementCounter | undefined => statementCounters.get(dataSource);

/** The pg module with a Pool whose clients count their queries. TypeORM accepts it as `driver`. */
function countingDriver(counter: StatementCounter): typeof pg {
  class CountingClient extends pg.Client {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      counter.count += 1;
      counter.total += 1;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return (super.query as any)(...args);
    }
  }
  class CountingPool extends pg.Pool {
    constructor(options?: pg.PoolConfig) {
      super({ ...options, Client: CountingClient });
    }
  }
  return { ...pg, Pool: CountingPool, Client: CountingClient } as typeof pg;
}

export interface DatabaseOptions {
  url: string;
  /** The PostgreSQL schema this service owns; it reads no other. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  entities: MixedList<Function | string | EntitySchema<any>>;
  migrations: MixedList<Function | string>;
  poolSize?: number;
  counter?: StatementCounter;
  applicationName: string;
}

export function createDataSource(options: DatabaseOptions): DataSource {
  const counter = options.counter ?? new StatementCounter();
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName,
    driver: countingDriver(counter),
    extra: {
      max: options.poolSize ?? 20,
      // Unqualified names resolve inside the service's own schema only.
      options: `-c search_path=${options.schema}`,
      connectionTimeoutMillis: 5000,
    },
  });
  statementCounters.set(dataSource, counter);
  return dataSource;
}

/** Creates the service's schema if missing (it is the only object a service creates outside migrations). */
export async function ensureSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
  } finally {
    await client.end();
  }
}

export class StartupError extends Error {}

/**
 * Connects and checks that every migration has been applied. A service never migrates on its own
 * at start-up in production (a one-shot migrate step does), so a missing migration is a deploy
 * error worth one clear line.
 */
export async function openDatabase(dataSource: DataSource, service: string): Promise<DataSource> {
  const url = (dataSource.options as { url?: string }).url ?? '';
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new StartupError(`${service}: cannot reach PostgreSQL at ${redactUrl(url)} (${(error as Error).message}); set DATABASE_URL to a reachable server`);
  }
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  const [{ table }] = await dataSource.query(`SELECT to_regclass($1) AS table`, [`${schema}.migrations`]);
  if (!table || (await dataSource.showMigrations())) {
    await dataSource.destroy();
    throw new StartupError(`${service}: database schema is not migrated; run "npm run migrate" (or npm start, which migrates) first`);
  }
  return dataSource;
}

/** Runs pending migrations of one service (the migrate step). */
export async function migrate(dataSource: DataSource, url: string, schema: string): Promise<string[]> {
  await ensureSchema(url, schema);
  if (!dataSource.isInitialized) await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * Did PostgreSQL refuse the statement for a unique constraint (optionally: this one)? Accepts the
 * driver's error and TypeORM's QueryFailedError wrapping it.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  type DriverError = { code?: string; constraint?: string };
  const driverError = (error as { driverError?: DriverError } | null)?.driverError ?? (error as DriverError | null);
  return driverError?.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}
