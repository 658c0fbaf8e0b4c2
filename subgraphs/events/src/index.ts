import 'reflect-metadata';
import { launchSubgraph, runServiceMain, type RunningSubgraph } from '@union/common';
import { type EventsConfig, loadEventsConfig } from './config';
import { createEventsContext } from './context';
import { eventsDataSource } from './data-source';
import { EventRelay } from './modules/feed/feed.relay';
import { WebhookDispatcher } from './modules/webhook/webhook.delivery';
import { buildEventsSchema } from './schema';

/**
 * The events subgraph: the change feed (relayed from every service's outbox) and the webhooks
 * (delivered on pg-boss). Every replica serves the API, relays (one at a time, by advisory lock)
 * and delivers (sharing the job queue).
 */
export async function startEventsSubgraph(config: EventsConfig, options: { log?: (line: string) => void } = {}): Promise<RunningSubgraph> {
  const log = options.log ?? ((line: string) => console.error(line));
  let webhooks: WebhookDispatcher | null = null;
  const service = await launchSubgraph({
    name: 'events',
    dataSource: (counter) => eventsDataSource(config, counter),
    buildSchema: buildEventsSchema,
    config,
    createContext: (db, principal, requestId) => createEventsContext(db, config, webhooks!, principal, requestId),
    log: options.log,
  });
  try {
    webhooks = new WebhookDispatcher(service.db, {
      databaseUrl: config.databaseUrl,
      jobSchema: config.jobSchema,
      production: config.production,
      settings: config.webhooks,
      log,
    });
    await webhooks.start();
  } catch (error) {
    await service.stop();
    throw error;
  }
  const dispatcher = webhooks;
  const relay = new EventRelay(service.db, config.sources, config.internalSecret, {
    ...config.relay,
    onRelayed: (tx, first, last) => dispatcher.fanOut(tx, first, last),
    afterCommit: () => dispatcher.wake(),
    log,
  });
  relay.start();
  return {
    ...service,
    async stop() {
      await relay.stop();
      await dispatcher.stop();
      await service.stop();
    },
  };
}

export { buildEventsSchema, eventsDataSource, loadEventsConfig };
export { migrateEvents } from './migrate';
export { retryPauseMs } from './modules/webhook/webhook.delivery';
export { isForbiddenAddress, checkEndpointUrl } from './modules/webhook/webhook.url-safety';
export { signature as webhookSignature } from './modules/webhook/webhook.signing';

if (require.main === module) runServiceMain('events subgraph', () => startEventsSubgraph(loadEventsConfig()));
