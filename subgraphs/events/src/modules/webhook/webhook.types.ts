import type { EventTypeName } from '@union/common';
import { Field, ID, ObjectType } from 'type-graphql';
import { EventType } from '../feed/feed.types';

@ObjectType({
  description:
    'Where events are POSTed, signed as the Standard Webhooks specification says: headers webhook-id (the event id), webhook-timestamp (Unix seconds) and webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>), body {"type", "timestamp", "data"}. A delivery that does not get a 2xx within 10 seconds is retried with growing pauses for at least 3 days.',
})
export class WebhookEndpoint {
  @Field(() => ID, { description: 'The endpoint id (redeliverEvent, rotateWebhookSecret, deleteWebhookEndpoint take it).' })
  id!: string;

  @Field({ description: 'Where deliveries are POSTed: https (plain http only to loopback outside production). Redirects are not followed.' })
  url!: string;

  @Field(() => [EventType], { description: 'The kinds of events delivered here (of those the owner may see).' })
  eventTypes!: EventTypeName[];

  @Field({ description: 'False once the endpoint was disabled after failing for too long (or deleted); nothing is delivered then.' })
  enabled!: boolean;

  @Field({ description: 'When the endpoint was created.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Set while deliveries to it keep failing.' })
  failingSince!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the endpoint was disabled (null while enabled).' })
  disabledReason!: string | null;
}

@ObjectType({ description: 'An endpoint with its signing secret: answered once, on creation and on rotation.' })
export class WebhookEndpointWithSecret {
  @Field(() => WebhookEndpoint, { description: 'The endpoint.' })
  endpoint!: WebhookEndpoint;

  @Field({ description: 'whsec_...: shown once. Verify deliveries with it (any Standard Webhooks library does).' })
  secret!: string;
}
