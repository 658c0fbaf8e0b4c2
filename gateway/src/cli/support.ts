import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource, openDatabase, redactUrl } from '@union/common';
import { PartnerInputError, PartnerNotFoundError } from '../auth/partners';
import { GATEWAY_SCHEMA, gatewayMigrations } from '../migrations';

/** An operator mistake the CLI explains in one line, without a stack trace. */
export class CliError extends Error {}

export interface CliIo {
  print(line: string): void;
}

/** Errors an operator can fix from the message alone; anything else is a bug and keeps its stack. */
export function isOperatorError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    error instanceof CliError ||
    error instanceof PartnerInputError ||
    error instanceof PartnerNotFoundError ||
    // node:util parseArgs: unknown option, missing option value ...
    (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
  );
}

const EMBEDDED_POSTGRES_FILE = join('.data', 'embedded-postgres.json');

async function readEmbeddedUrl(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const parsed = JSON.parse(text) as { databaseUrl?: unknown };
  return typeof parsed.databaseUrl === 'string' && parsed.databaseUrl !== '' ? parsed.databaseUrl : null;
}

/**
 * GATEWAY_DATABASE_URL, else DATABASE_URL, else the embedded PostgreSQL that `npm start` runs
 * (it writes its URL to .data/embedded-postgres.json, looked for in the working directory and
 * in the repository root).
 */
export async function resolveDatabaseUrl(env: Record<string, string | undefined> = process.env): Promise<string> {
  const configured = env.GATEWAY_DATABASE_URL || env.DATABASE_URL;
  if (configured) return configured;
  // dist/cli -> gateway -> repository root
  const candidates = [resolve(EMBEDDED_POSTGRES_FILE), resolve(__dirname, '..', '..', '..', EMBEDDED_POSTGRES_FILE)];
  for (const file of new Set(candidates)) {
    const url = await readEmbeddedUrl(file);
    if (url) return url;
  }
  throw new CliError(
    `no database configured: set GATEWAY_DATABASE_URL (or DATABASE_URL), or run "npm start" first so that ${EMBEDDED_POSTGRES_FILE} names the embedded PostgreSQL`,
  );
}

/** The gateway's database, checked to be migrated; a small pool, as one command runs a few queries. */
export async function openGatewayDatabase(applicationName: string): Promise<DataSource> {
  const url = await resolveDatabaseUrl();
  const dataSource = createDataSource({ url, schema: GATEWAY_SCHEMA, entities: [], migrations: gatewayMigrations, poolSize: 2, applicationName });
  try {
    return await openDatabase(dataSource, 'gateway');
  } catch (error) {
    // An open pool would keep the process alive after the error message.
    if (dataSource.isInitialized) await dataSource.destroy();
    // invalid_schema_name: nothing was ever migrated into this database.
    const message =
      (error as { code?: string }).code === '3F000'
        ? `gateway: database schema "${GATEWAY_SCHEMA}" does not exist; run "npm run migrate" (or npm start, which migrates) first`
        : (error as Error).message;
    throw new CliError(message.includes(redactUrl(url)) ? message : `${message} (database ${redactUrl(url)})`);
  }
}

type Command = (argv: string[], dataSource: DataSource, io: CliIo) => Promise<number>;

/**
 * The shared entry point of the operator commands: usage on no arguments or --help, otherwise one
 * command against the gateway database, and a one-line message (exit 1) for operator errors.
 */
export function runCli(options: { usage: string; applicationName: string; command: Command }): void {
  const argv = process.argv.slice(2);
  const run = async (): Promise<number> => {
    if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
      console.log(options.usage);
      return argv.length === 0 ? 2 : 0;
    }
    const dataSource = await openGatewayDatabase(options.applicationName);
    try {
      return await options.command(argv, dataSource, { print: (line) => console.log(line) });
    } finally {
      await dataSource.destroy();
    }
  };
  run().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(isOperatorError(error) ? `error: ${error.message}` : error);
      process.exitCode = 1;
    },
  );
}
