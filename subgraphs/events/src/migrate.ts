import 'reflect-metadata';
import { migrateService, runMigrateMain } from '@union/common';
import { type EventsConfig, loadEventsConfig } from './config';
import { eventsDataSource } from './data-source';

export const migrateEvents = (config: Pick<EventsConfig, 'databaseUrl' | 'dbSchema' | 'poolSize'>) =>
  migrateService(eventsDataSource(config), config.databaseUrl, config.dbSchema);

if (require.main === module) runMigrateMain('events', () => migrateEvents(loadEventsConfig()));
