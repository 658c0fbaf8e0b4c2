import { EventsAndWebhooks1767000013300 } from './1767000013300-EventsAndWebhooks';

/** Every migration of the events subgraph, in order. New ones are appended here. */
export const eventsMigrations = [EventsAndWebhooks1767000013300];
