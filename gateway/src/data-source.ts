import { createDataSource, type StatementCounter } from '@union/common';
import type { GatewayConfig } from './config';
import { gatewayMigrations } from './migrations';

/** The gateway's own schema: the partner registry and the access records. */
export function gatewayDataSource(config: Pick<GatewayConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>, counter?: StatementCounter) {
  return createDataSource({
    url: config.databaseUrl,
    schema: config.dbSchema,
    entities: [],
    migrations: gatewayMigrations,
    poolSize: config.poolSize,
    counter,
    applicationName: 'gateway',
  });
}
