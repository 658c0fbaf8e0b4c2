import { randomUUID } from 'node:crypto';
import { type EventTypeName, isEventType, isUuid } from '@union/common';
import type { EventsContext } from '../../context';
import { EventsErrors } from '../../errors';
import { feedViewer, ownerEntry } from '../feed/feed.access';
import { visibleEvent } from '../feed/feed.store';
import { type EndpointOwner, endpointFromRow, webhookStore } from './webhook.store';
import type { WebhookEndpoint, WebhookEndpointWithSecret } from './webhook.types';
import { newWebhookSecret } from './webhook.signing';
import { checkEndpointUrl } from './webhook.url-safety';

/** Any partner, for itself. MEMBER tokens have no endpoints (they see no events either). */
function ownerOf(ctx: EventsContext): { owner: EndpointOwner; entry: string } {
  const entry = ownerEntry(feedViewer(ctx.principal));
  if (!entry) throw EventsErrors.forbidden('webhook endpoints belong to partners; this caller sees no events');
  return { owner: { kind: ctx.principal.kind, id: ctx.principal.id }, entry };
}

function checkEventTypes(types: EventTypeName[]): EventTypeName[] {
  const unique = [...new Set(types)];
  if (unique.length === 0) throw EventsErrors.badInput('eventTypes must name at least one event type', 'eventTypes');
  if (!unique.every(isEventType)) throw EventsErrors.badInput('eventTypes names an unknown event type', 'eventTypes');
  return unique;
}

export async function listEndpoints(ctx: EventsContext): Promise<WebhookEndpoint[]> {
  const { owner } = ownerOf(ctx);
  return (await webhookStore.listOwn(ctx.db, owner)).map(endpointFromRow);
}

export async function createEndpoint(ctx: EventsContext, url: string, eventTypes: EventTypeName[]): Promise<WebhookEndpointWithSecret> {
  const { owner, entry } = ownerOf(ctx);
  const types = checkEventTypes(eventTypes);
  const checked = await checkEndpointUrl(url.trim(), ctx.config.production);
  const secret = newWebhookSecret();
  const row = await webhookStore.insert(
    ctx.db,
    { id: randomUUID(), owner, ownerEntry: entry, url: checked.toString(), eventTypes: types, secret },
    ctx.config.webhooks.maxEndpoints,
  );
  if (!row) throw EventsErrors.tooManyEndpoints(ctx.config.webhooks.maxEndpoints);
  return { endpoint: endpointFromRow(row), secret };
}

export async function deleteEndpoint(ctx: EventsContext, id: string): Promise<boolean> {
  const { owner } = ownerOf(ctx);
  if (!isUuid(id) || !(await webhookStore.delete(ctx.db, owner, id))) throw EventsErrors.notFound('webhook endpoint');
  return true;
}

export async function rotateSecret(ctx: EventsContext, id: string): Promise<WebhookEndpointWithSecret> {
  const { owner } = ownerOf(ctx);
  const secret = newWebhookSecret();
  const row = isUuid(id) ? await webhookStore.rotate(ctx.db, owner, id, secret, ctx.config.webhooks.previousSecretMs) : null;
  if (!row) throw EventsErrors.notFound('webhook endpoint');
  return { endpoint: endpointFromRow(row), secret };
}

/** Sends one event to one of the caller's endpoints again, with its original id; the event must be one the caller may see. */
export async function redeliverEvent(ctx: EventsContext, endpointId: string, eventId: string): Promise<boolean> {
  const { owner } = ownerOf(ctx);
  const endpoint = isUuid(endpointId) ? await webhookStore.findOwn(ctx.db, owner, endpointId) : null;
  if (!endpoint) throw EventsErrors.notFound('webhook endpoint');
  if (!endpoint.enabled) throw EventsErrors.badInput('the endpoint is disabled; create a new one once the receiver works again', 'endpointId');
  const event = isUuid(eventId) ? await visibleEvent(ctx.db, feedViewer(ctx.principal), eventId) : null;
  if (!event) throw EventsErrors.notFound('event');
  await ctx.webhooks.redeliver(endpoint.id, event.position, event.subjectId);
  return true;
}
