import { EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES, type EventTypeName, PageInfo } from '@union/common';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

/** type-graphql enums are objects of name -> value. */
export const EventType = Object.fromEntries(EVENT_TYPES.map((t) => [t, t])) as { [K in EventTypeName]: K };

registerEnumType(EventType, {
  name: 'EventType',
  description: 'What happened; an endpoint subscribes to a list of these, the feed can be filtered by them.',
  valuesConfig: Object.fromEntries(EVENT_TYPES.map((t) => [t, { description: EVENT_TYPE_DESCRIPTIONS[t] }])),
});

@ObjectType({
  description:
    'Something that happened, as listed by `events` and delivered to webhooks. A caller sees only events it could read the subject of: a hospital its own claims, a travel partner or merchant its own redemptions and the vouchers it may redeem, a union what happens in its subtree and its programs. The id is the same in every delivery and in the feed: receivers de-duplicate on it.',
})
export class Event {
  @Field(() => ID, { description: 'Unique and stable: the webhook-id header of every delivery of this event.' })
  id!: string;

  @Field(() => EventType, { description: 'What happened.' })
  type!: EventTypeName;

  @Field({ description: 'When the write that produced it happened (the start of its database transaction).' })
  occurredAt!: Date;

  @Field(() => ID, { description: 'The member, claim, voucher, redemption, order or application it happened to.' })
  subjectId!: string;

  @Field({ description: 'JSON text, the same object a webhook delivery carries as `data`; personal data masked as in the schema.' })
  data!: string;

  /** Feed position (not a field): the cursor. */
  position!: string;
}

@ObjectType({ description: 'A page of the change feed, oldest first.' })
export class EventConnection {
  @Field(() => [Event], { description: 'The events of this page, in feed order.' })
  nodes!: Event[];

  @Field(() => PageInfo, {
    description: 'Where this page ends. endCursor is never null here: an empty page answers the cursor it was given, so keep it and ask again later.',
  })
  pageInfo!: PageInfo;
}
