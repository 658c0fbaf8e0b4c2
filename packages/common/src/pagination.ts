import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GraphQLResolveInfo } from 'graphql';
import { badInput } from './errors';

export const MAX_PAGE_SIZE = 100;

/** `first` is capped at 100 by the contract; anything outside 0..100 is a caller bug, not a request to clamp. */
export function pageSize(first: number | null | undefined, fallback = 20): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return size;
}

/**
 * Opaque keyset cursors. The cursor names the list it belongs to and is signed, so a cursor
 * from another list (or one edited by hand) is refused instead of silently paging something else.
 */
export class CursorCodec {
  /** A key of its own, derived from the service secret, so a cursor signature is never also a valid internal-token signature. */
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('union-benefits cursor key v1').digest();
  }

  encode(list: string, position: unknown[]): string {
    const body = Buffer.from(JSON.stringify([list, position])).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  decode<T extends unknown[]>(list: string, cursor: string | null | undefined): T | null {
    if (cursor == null || cursor === '') return null;
    const [body, signature] = cursor.split('.');
    if (!body || !signature) throw badInput('malformed cursor', 'after');
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw badInput('invalid cursor', 'after');
    const [owner, position] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [string, T];
    if (owner !== list) throw badInput('cursor belongs to another list', 'after');
    return position;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
  }
}

export interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * A page from rows fetched with LIMIT limit + 1: the extra row only tells that a next page exists;
 * the cursor is taken from the last row kept.
 */
/** The fields of a connection that are answered without reading its page. */
const COUNT_FIELDS = new Set(['totalCount', 'totalCountIsExact', '__typename']);

/**
 * Does this selection of a connection ask for nothing but its count (totalCount,
 * totalCountIsExact, __typename)? Then the page itself need not be read: a page under a filter
 * that almost nothing matches is the slowest read of a large subtree. Fragments count as asking
 * for more: the page is read as before.
 */
export function asksOnlyCount(info: Pick<GraphQLResolveInfo, 'fieldNodes'>): boolean {
  return info.fieldNodes.every((node) => (node.selectionSet?.selections ?? []).every((s) => s.kind === 'Field' && COUNT_FIELDS.has(s.name.value)));
}

export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): Page<T> {
  const nodes = rows.slice(0, limit);
  const last = nodes[nodes.length - 1];
  return { nodes, pageInfo: { hasNextPage: rows.length > limit, endCursor: last === undefined ? null : cursorOf(last) } };
}
