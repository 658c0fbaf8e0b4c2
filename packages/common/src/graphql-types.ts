import { Directive, Field, ObjectType } from 'type-graphql';

/** Shared by every subgraph's connections; identical everywhere, hence @shareable. */
@ObjectType({ description: 'Where a page of a cursor-paginated list ends.' })
@Directive('@shareable')
export class PageInfo {
  @Field({ description: 'True when another page follows; pass endCursor as `after` to read it.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Opaque cursor of the last node of this page; null on an empty page.' })
  endCursor!: string | null;
}
