import type { EventTypeName } from '@union/common';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { EventsContext } from '../../context';
import { EventType } from '../feed/feed.types';
import { createEndpoint, deleteEndpoint, listEndpoints, redeliverEvent, rotateSecret } from './webhook.service';
import { WebhookEndpoint, WebhookEndpointWithSecret } from './webhook.types';

@Resolver()
export class WebhookResolver {
  @Query(() => [WebhookEndpoint], { description: "The caller's own webhook endpoints." })
  webhookEndpoints(@Ctx() ctx: EventsContext): Promise<WebhookEndpoint[]> {
    return listEndpoints(ctx);
  }

  @Mutation(() => WebhookEndpointWithSecret, {
    description:
      'Any partner, for itself: events of these types that the caller may see are POSTed to the url. The url must be https (plain http only to loopback, and only outside production); in production it must not resolve to a private, loopback or link-local address. The secret is shown once.',
  })
  createWebhookEndpoint(
    @Ctx() ctx: EventsContext,
    @Arg('url', { description: 'https URL that receives the deliveries.' }) url: string,
    @Arg('eventTypes', () => [EventType], { description: 'The kinds of events to deliver (at least one).' }) eventTypes: EventTypeName[],
  ): Promise<WebhookEndpointWithSecret> {
    return createEndpoint(ctx, url, eventTypes);
  }

  @Mutation(() => Boolean, { description: "Deletes one of the caller's endpoints; deliveries still waiting for it are cancelled." })
  deleteWebhookEndpoint(@Ctx() ctx: EventsContext, @Arg('id', () => ID, { description: 'The endpoint.' }) id: string): Promise<boolean> {
    return deleteEndpoint(ctx, id);
  }

  @Mutation(() => WebhookEndpointWithSecret, {
    description: 'A new signing secret (shown once). The old one keeps signing for 24 hours: deliveries carry both signatures meanwhile.',
  })
  rotateWebhookSecret(@Ctx() ctx: EventsContext, @Arg('id', () => ID, { description: 'The endpoint.' }) id: string): Promise<WebhookEndpointWithSecret> {
    return rotateSecret(ctx, id);
  }

  @Mutation(() => Boolean, { description: 'Deliver one event to one endpoint again (e.g. after the receiver was fixed).' })
  redeliverEvent(
    @Ctx() ctx: EventsContext,
    @Arg('endpointId', () => ID, { description: "One of the caller's endpoints." }) endpointId: string,
    @Arg('eventId', () => ID, { description: 'An event the caller may see (its id, as in the feed and webhook-id).' }) eventId: string,
  ): Promise<boolean> {
    return redeliverEvent(ctx, endpointId, eventId);
  }
}
