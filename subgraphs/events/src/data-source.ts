import { createDataSource, type StatementCounter } from '@union/common';
import type { EventsConfig } from './config';
import { eventsMigrations } from './migrations';

export function eventsDataSource(config: Pick<EventsConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>, counter?: StatementCounter) {
  return createDataSource({
    url: config.databaseUrl,
    schema: config.dbSchema,
    entities: [],
    migrations: eventsMigrations,
    poolSize: config.poolSize,
    counter,
    applicationName: 'events-subgraph',
  });
}
