import { CursorCodec, type Principal } from '@union/common';
import type { DataSource } from 'typeorm';
import type { EventsConfig } from './config';
import type { WebhookDispatcher } from './modules/webhook/webhook.delivery';

export interface EventsContext {
  principal: Principal;
  requestId: string;
  db: DataSource;
  config: EventsConfig;
  cursors: CursorCodec;
  webhooks: WebhookDispatcher;
}

export function createEventsContext(db: DataSource, config: EventsConfig, webhooks: WebhookDispatcher, principal: Principal, requestId: string): EventsContext {
  return { principal, requestId, db, config, cursors: new CursorCodec(config.internalSecret), webhooks };
}
