import { type EventTypeName, pageSize } from '@union/common';
import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { EventsContext } from '../../context';
import { EventsErrors } from '../../errors';
import { feedViewer } from './feed.access';
import { feedPage } from './feed.store';
import { EventConnection, EventType } from './feed.types';

const FEED = 'events';

@Resolver()
export class FeedResolver {
  @Query(() => EventConnection, {
    description:
      'The change feed: events the caller may see, oldest first, after the cursor (keep endCursor and ask again later). The order never changes once read: an event that commits later always comes after every cursor handed out before. MEMBER tokens see no events.',
  })
  async events(
    @Ctx() ctx: EventsContext,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page; none: from the oldest event.' }) after: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'Page size, 0 to 100.' }) first: number | null,
    @Arg('types', () => [EventType], { nullable: true, description: 'Only these kinds of events (the cursor stays valid with or without this filter).' })
    types: EventTypeName[] | null,
  ): Promise<EventConnection> {
    const limit = pageSize(first);
    const position = ctx.cursors.decode<[string]>(FEED, after)?.[0] ?? '0';
    if (!/^\d{1,19}$/.test(position)) throw EventsErrors.badInput('invalid cursor', 'after');
    const rows = await feedPage(ctx.db, feedViewer(ctx.principal), position, limit + 1, types && types.length > 0 ? types : null);
    const nodes = rows.slice(0, limit);
    const last = nodes[nodes.length - 1];
    return {
      nodes,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: ctx.cursors.encode(FEED, [last ? last.position : position]) },
    };
  }
}
