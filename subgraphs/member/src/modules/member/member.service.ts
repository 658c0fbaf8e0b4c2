import { hasScope, type Page, pageOf, pageSize } from '@union/common';
import type { MemberContext } from '../../context';
import { MemberErrors } from '../../errors';
import type { OrganizationEntity } from '../organization/organization.entity';
import type { MemberEntity } from './member.entity';
import { BOUNDED_COUNT, boundedCountWindow, type MemberQuery } from './member.loaders';
import type { MemberFilter } from './member.types';

/** Card numbers: 'GD', the year of issue, 8 digits. */
export const CARD_NUMBER = /^GD\d{12}$/;
/** Asia/Shanghai has no daylight saving: every day is 24 hours. */
const DAY_MS = 24 * 3600 * 1000;

/** Midnight Asia/Shanghai of a YYYY-MM-DD date, as an ISO instant. */
const shanghaiMidnight = (date: string): string => new Date(`${date}T00:00:00+08:00`).toISOString();

/** Turns the partner's MemberFilter into a checked query; name search needs member:pii. */
export function memberQuery(filter: MemberFilter | null | undefined, ctx: MemberContext): MemberQuery {
  const query: MemberQuery = {};
  if (!filter) return query;
  if (filter.status != null) query.status = filter.status;
  if (filter.realNameVerified != null) query.realNameVerified = filter.realNameVerified;
  if (filter.newEmploymentForm != null) query.newEmploymentForm = filter.newEmploymentForm;
  if (filter.joinedFrom != null) query.joinedFrom = shanghaiMidnight(filter.joinedFrom);
  if (filter.joinedTo != null) query.joinedBefore = new Date(Date.parse(shanghaiMidnight(filter.joinedTo)) + DAY_MS).toISOString();
  if (query.joinedFrom && query.joinedBefore && query.joinedFrom >= query.joinedBefore) {
    throw MemberErrors.badInput('joinedFrom must not be after joinedTo', 'filter.joinedFrom');
  }
  if (filter.changedSince != null) query.changedSince = filter.changedSince.toISOString();
  const search = filter.search?.trim();
  if (search) {
    if (CARD_NUMBER.test(search.toUpperCase())) {
      query.cardNumber = search.toUpperCase();
    } else {
      if (!(ctx.principal.kind === 'UNION' && hasScope(ctx.principal, 'member:pii'))) throw MemberErrors.nameSearchNeedsPii();
      if (Array.from(search).length > 20) throw MemberErrors.badInput('a name prefix has at most 20 characters', 'filter.search');
      query.namePrefix = search;
    }
  }
  return query;
}

export interface MemberPage extends Page<MemberEntity> {
  organization: OrganizationEntity;
  query: MemberQuery;
}

export async function listMembers(
  ctx: MemberContext,
  organization: OrganizationEntity,
  filter: MemberFilter | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
  /** Only the count is asked for (asksOnlyCount): the page is not read. */
  countOnly = false,
): Promise<MemberPage> {
  const limit = pageSize(first);
  const query = memberQuery(filter, ctx);
  const listName = `members:${organization.id}:${JSON.stringify(query)}`;
  const position = ctx.cursors.decode<[string, string]>(listName, after);
  const rows = countOnly ? [] : await ctx.loaders.memberPage.load({ path: organization.path, query, limit: limit + 1, after: position });
  return {
    ...pageOf(rows, limit, (last) => ctx.cursors.encode(listName, [last.orgPath, last.id])),
    organization,
    query,
  };
}

/** A member list's total: exact, or a lower bound (MemberConnection.totalCountIsExact). */
export interface MemberTotal {
  count: number;
  exact: boolean;
}

/**
 * Totals that the maintained subtree counters answer exactly: none, one or two of them (a
 * complement: unverified = members - verified); null when the filter needs members to be counted.
 */
function totalFromCounters(
  q: MemberQuery,
  stats: { memberCount: unknown; activeCount: unknown; verifiedCount: unknown; newEmploymentFormCount: unknown } | null,
): number | null {
  const keys = Object.keys(q);
  const all = Number(stats?.memberCount ?? 0);
  if (keys.length === 0) return all;
  if (keys.length !== 1) return null;
  if (q.status === 'ACTIVE') return Number(stats?.activeCount ?? 0);
  if (q.realNameVerified !== undefined) return q.realNameVerified ? Number(stats?.verifiedCount ?? 0) : all - Number(stats?.verifiedCount ?? 0);
  if (q.newEmploymentForm !== undefined)
    return q.newEmploymentForm ? Number(stats?.newEmploymentFormCount ?? 0) : all - Number(stats?.newEmploymentFormCount ?? 0);
  return null;
}

/**
 * A member list's total, bounded in time at any subtree size: from the counters where they answer
 * the filter; counted exactly for an exact card number (one index probe); otherwise a bounded
 * count (BOUNDED_COUNT in member.loaders.ts), exact when the whole subtree fits in its window and
 * fewer than its cap match, else a lower bound.
 */
export async function countMembers(ctx: MemberContext, page: MemberPage): Promise<MemberTotal> {
  const q = page.query;
  const stats = await ctx.loaders.statsByOrganizationId.load(page.organization.id);
  const fromCounters = totalFromCounters(q, stats);
  if (fromCounters !== null) return { count: fromCounters, exact: true };
  const key = { path: page.organization.path, query: q };
  if (q.cardNumber !== undefined) return { count: await ctx.loaders.memberCount.load(key), exact: true };
  const counted = await ctx.loaders.memberCountBounded.load(key);
  if (counted === null) return { count: 0, exact: false };
  if (counted > BOUNDED_COUNT.cap) return { count: BOUNDED_COUNT.cap, exact: false };
  return { count: counted, exact: Number(stats?.memberCount ?? 0) <= boundedCountWindow(q) };
}
