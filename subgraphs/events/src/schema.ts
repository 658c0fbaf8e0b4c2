import { buildFederatedSchema, type FederatedSchema } from '@union/common';
import { FeedResolver } from './modules/feed/feed.resolver';
import { WebhookResolver } from './modules/webhook/webhook.resolver';

export function buildEventsSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({ resolvers: [FeedResolver, WebhookResolver], references: {} });
}
