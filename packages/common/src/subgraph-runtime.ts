import type { BaseContext } from '@apollo/server';
import type { DataSource } from 'typeorm';
import { ConfigError } from './config';
import pg from 'pg';
import { EVENT_OUTBOX_ROUTE, eventOutboxRoute, type SqlRunner } from './events';
import { migrate, openDatabase, StartupError, StatementCounter } from './db';
import type { FederatedSchema } from './federation';
import type { Principal } from './principal';
import { type InternalRoute, type RunningService, startSubgraphServer, type StreamRoute } from './subgraph-server';

export interface RunningSubgraph extends RunningService {
  db: DataSource;
}

/**
 * The outbox route on a small pool of its own: the events relay polls it several times a second,
 * and those statements are not the service's work (tests count a request's statements on the
 * service pool), nor should a busy service make the relay wait for a connection.
 */
function outboxRunner(db: DataSource, service: string): { runner: SqlRunner; close(): Promise<void> } {
  const { url, schema } = db.options as { url?: string; schema?: string };
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: `${service}-event-outbox`, options: `-c search_path=${schema ?? 'public'}` });
  pool.on('error', () => undefined);
  return { runner: { query: async (sql, parameters) => (await pool.query(sql, parameters)).rows }, close: () => pool.end() };
}

/** Opens the (already migrated) database, builds the schema and serves it; closes the pool on stop. */
export async function launchSubgraph<TContext extends BaseContext>(options: {
  name: string;
  /** Builds the service's DataSource over a driver that counts statements into `counter`. */
  dataSource(counter: StatementCounter): DataSource;
  buildSchema(): Promise<FederatedSchema>;
  config: { internalSecret: string; host: string; port: number };
  createContext(db: DataSource, principal: Principal, requestId: string): TContext;
  internalRoutes?(db: DataSource): Record<string, InternalRoute>;
  /** GET /stream/<name> routes (see StreamRoute), e.g. the member export. */
  streamRoutes?(db: DataSource): Record<string, StreamRoute>;
  /** Serves the service's event outbox to the events subgraph (services whose writes record events). */
  eventOutbox?: boolean;
  log?: (line: string) => void;
}): Promise<RunningSubgraph> {
  const counter = new StatementCounter();
  const db = await openDatabase(options.dataSource(counter), `${options.name} subgraph`);
  const outbox = options.eventOutbox ? outboxRunner(db, options.name) : null;
  try {
    const { schema } = await options.buildSchema();
    const service = await startSubgraphServer({
      name: options.name,
      schema,
      internalSecret: options.config.internalSecret,
      host: options.config.host,
      port: options.config.port,
      createContext: (principal, requestId) => options.createContext(db, principal, requestId),
      internalRoutes: {
        ...options.internalRoutes?.(db),
        ...(outbox ? { [EVENT_OUTBOX_ROUTE]: eventOutboxRoute(outbox.runner) } : {}),
        // Lets the end-to-end tests prove that statements per request do not grow with list length.
        'statement-count': async () => ({ count: counter.count }),
      },
      streamRoutes: options.streamRoutes?.(db),
      onStop: async () => {
        await outbox?.close();
        await db.destroy();
      },
      log: options.log,
    });
    return { ...service, db };
  } catch (error) {
    await outbox?.close();
    await db.destroy();
    throw error;
  }
}

/** Turns a start-up failure into one line an operator can act on. */
export function startupFailureLine(error: unknown): string {
  if (error instanceof StartupError || error instanceof ConfigError) return error.message;
  return (error as Error)?.stack ?? String(error);
}

/** `node dist/index.js`: start, print where, stop cleanly on Ctrl-C / SIGTERM, exit 1 with one line on failure. */
export function runServiceMain(name: string, start: () => Promise<RunningService>): void {
  Promise.resolve()
    .then(start)
    .then((service) => {
      console.log(`${name} listening on ${service.url}`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        // A stop that hangs (a database that went away first) must not leave the process running.
        setTimeout(() => process.exit(1), 10_000).unref();
        return service.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Started by a launcher (npm start, the tests) over an IPC channel: when it goes away, so do we.
      if (process.send) process.once('disconnect', stop);
    })
    .catch((error: unknown) => {
      console.error(startupFailureLine(error));
      process.exit(1);
    });
}

/** Runs a service's pending migrations in its own schema (the one-shot migrate step). */
export async function migrateService(dataSource: DataSource, url: string, schema: string): Promise<string[]> {
  try {
    return await migrate(dataSource, url, schema);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/** `node dist/migrate.js` */
export function runMigrateMain(name: string, run: () => Promise<string[]>): void {
  Promise.resolve()
    .then(run)
    .then((applied) => console.log(`${name}: ${applied.length} migration(s) applied`))
    .catch((error: unknown) => {
      console.error(`${name}: migration failed: ${error instanceof ConfigError ? error.message : (error as Error).message}`);
      process.exit(1);
    });
}
