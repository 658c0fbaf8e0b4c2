import type { DataSource } from 'typeorm';
import type { Registry } from 'prom-client';
import { ConfigError } from './config';
import pg from 'pg';
import { EVENT_OUTBOX_ROUTE, eventOutboxRoute, type SqlRunner } from './events';
import { createLogger } from './logging';
import { shutdownTracing } from './tracing';
import { migrate, openDatabase, StartupError, StatementCounter } from './db';
import type { FederatedSchema } from './federation';
import type { DirectoryLookupCounts } from './metrics';
import type { Principal } from './principal';
import { databaseCheck } from './readiness';
import { type InternalRoute, type RunningService, startSubgraphServer, type StreamRoute, type UploadRoute } from './subgraph-server';

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
export async function launchSubgraph<TContext extends object>(options: {
  name: string;
  /** Builds the service's DataSource over a driver that counts statements into `counter`. */
  dataSource(counter: StatementCounter): DataSource;
  buildSchema(): Promise<FederatedSchema>;
  config: { internalSecret: string; host: string; port: number; metricsToken?: string; shutdownGraceSeconds?: number };
  createContext(db: DataSource, principal: Principal, requestId: string): TContext;
  internalRoutes?(db: DataSource): Record<string, InternalRoute>;
  /** GET /stream/<name> routes (see StreamRoute), e.g. the member export. */
  streamRoutes?(db: DataSource): Record<string, StreamRoute>;
  /** Mutations whose outcomes /metrics counts (union_claim_outcomes_total). */
  countedMutations?: readonly string[];
  /** POST /stream/<name> routes (see UploadRoute), e.g. the member import. */
  uploadRoutes?(db: DataSource): Record<string, UploadRoute>;
  /** Serves the service's event outbox to the events subgraph (services whose writes record events). */
  eventOutbox?: boolean;
  /** The member directory lookups /metrics reports (MemberDirectoryClient.lookups). */
  directoryLookups?: DirectoryLookupCounts;
  /** Registers the service's own metrics over its database (see SubgraphServerOptions.serviceMetrics). */
  serviceMetrics?(db: DataSource, registry: Registry): void;
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
      uploadRoutes: options.uploadRoutes?.(db),
      readinessChecks: [databaseCheck(db)],
      onStop: async () => {
        await outbox?.close();
        await db.destroy();
      },
      log: options.log,
      database: db,
      directoryLookups: options.directoryLookups,
      serviceMetrics: options.serviceMetrics && ((registry) => options.serviceMetrics!(db, registry)),
      countedMutations: options.countedMutations,
      metricsToken: options.config.metricsToken,
      shutdownGraceSeconds: options.config.shutdownGraceSeconds,
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

/**
 * `node dist/index.js`: start, say where (a JSON log line), and on SIGTERM / Ctrl-C stop taking
 * traffic, let the requests in flight finish (SHUTDOWN_GRACE_SECONDS), close the pools and exit 0;
 * exit 1 with one line on a failed start.
 */
export function runServiceMain(name: string, start: () => Promise<RunningService>): void {
  const logger = createLogger(name.replace(/ subgraph$/, ''));
  Promise.resolve()
    .then(start)
    .then((service) => {
      logger.info({ url: service.url }, `${name} listening on ${service.url}`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: not ready, finishing the requests in flight');
        // A stop that hangs (a database that went away first) must not leave the process running.
        setTimeout(() => process.exit(1), (Number(process.env.SHUTDOWN_GRACE_SECONDS ?? 10) + 5) * 1000).unref();
        service
          .stop()
          // The last spans of the requests that just finished are flushed before the process goes.
          .then(() => shutdownTracing())
          .then(
            () => {
              logger.info('stopped');
              process.exit(0);
            },
            (error: unknown) => {
              logger.error({ err: error }, 'stop failed');
              process.exit(1);
            },
          );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      // Started by a launcher (npm start, the tests) over an IPC channel: when it goes away, so do we.
      if (process.send) process.once('disconnect', () => stop('launcher gone'));
    })
    .catch((error: unknown) => {
      // A service that never started has no requests to log: the operator gets one plain line on stderr.
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
