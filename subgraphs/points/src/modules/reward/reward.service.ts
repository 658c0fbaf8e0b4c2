import { randomUUID } from 'node:crypto';
import { type EventAudience, hasScope, isUuid, type Page, pageOf, pageSize } from '@union/common';
import type { DataSource } from 'typeorm';
import type { PointsContext } from '../../context';
import { PointsErrors } from '../../errors';
import { expireDueLots, inTransaction, type LedgerActor, lockAccount, reverseSpend, type Sql, spend } from '../points/points.ledger';
import { orderFromRow, type RewardEntity, type RewardOrderEntity, rewardFromRow } from './reward.entity';
import type { CreateRewardInput } from './reward.inputs';
import { memberAudience, orderEventData, recordPointsEvent } from '../../events';

export const MAX_ORDER_QUANTITY = 100;
export const MAX_POINTS_COST = 1_000_000;
export const MAX_STOCK = 1_000_000;

const orderRef = (orderId: string) => `reward-order:${orderId}`;

export async function createReward(ctx: PointsContext, input: CreateRewardInput): Promise<RewardEntity> {
  if (ctx.principal.kind !== 'PLATFORM') throw PointsErrors.forbidden('only the platform manages the points mall');
  const name = input.name.trim();
  if (name.length < 1 || [...name].length > 200) throw PointsErrors.badInput('name must have 1 to 200 characters', 'input.name');
  // PostgreSQL text cannot hold NUL: refused here, it would fail the INSERT as an internal error.
  if (name.includes('\u0000')) throw PointsErrors.badInput('name must not contain NUL characters', 'input.name');
  if (!Number.isInteger(input.pointsCost) || input.pointsCost < 1 || input.pointsCost > MAX_POINTS_COST) {
    throw PointsErrors.badInput(`pointsCost must be between 1 and ${MAX_POINTS_COST}`, 'input.pointsCost');
  }
  if (!Number.isInteger(input.stock) || input.stock < 0 || input.stock > MAX_STOCK) {
    throw PointsErrors.badInput(`stock must be between 0 and ${MAX_STOCK}`, 'input.stock');
  }
  const [row] = await ctx.db.query(`INSERT INTO rewards (id, name, points_cost, stock, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`, [
    randomUUID(),
    name,
    input.pointsCost,
    input.stock,
    ctx.principal.id,
  ]);
  return rewardFromRow(row);
}

export type RewardPage = Page<RewardEntity>;

/** The catalog is public to every authenticated caller: names, prices and stock are not personal data. */
export async function listRewards(ctx: PointsContext, first: number | null, after: string | null): Promise<RewardPage> {
  const limit = pageSize(first);
  const position = ctx.cursors.decode<[string, string]>('rewards', after);
  // The cursor carries created_at as PostgreSQL prints it: a JavaScript Date keeps milliseconds only, and
  // rewards added in one millisecond (several by one statement) would be skipped by the next page.
  const rows: Array<Record<string, unknown> & { cursor_at: string; id: string }> = await ctx.db.query(
    `SELECT *, created_at::text AS cursor_at FROM rewards
      WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $3`,
    [position?.[0] ?? null, position?.[1] ?? null, limit + 1],
  );
  const page = pageOf(rows, limit, (last) => ctx.cursors.encode('rewards', [last.cursor_at, last.id]));
  return {
    nodes: page.nodes.map(rewardFromRow),
    pageInfo: page.pageInfo,
  };
}

export async function countRewards(db: DataSource): Promise<number> {
  const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM rewards`);
  return n;
}

export interface OrderRequest {
  memberId: string;
  rewardId: string;
  quantity: number;
}

function validateQuantity(quantity: number): void {
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_ORDER_QUANTITY) {
    throw PointsErrors.badInput(`quantity must be between 1 and ${MAX_ORDER_QUANTITY}`, 'quantity');
  }
}

/** Why an order cannot take stock: the reward does not exist, or has too few units. */
async function stockFailure(sql: Sql, rewardId: string, quantity: number): Promise<Error> {
  const [reward] = await sql.rows<{ stock: number }>(`SELECT stock FROM rewards WHERE id = $1`, [rewardId]);
  if (!reward) return PointsErrors.notFound('reward');
  if (reward.stock < quantity) return PointsErrors.outOfStock();
  return PointsErrors.insufficientPoints();
}

/**
 * Spends points and takes stock in one transaction (no authorization: the caller has decided who
 * orders). The member's account row is locked first, then the reward row is decremented by a
 * guarded UPDATE: never more than the stock, never a negative balance, whatever the concurrency.
 */
export async function placeOrder(db: DataSource, request: OrderRequest, options: { actor: LedgerActor; audience?: EventAudience }): Promise<RewardOrderEntity> {
  validateQuantity(request.quantity);
  if (!isUuid(request.rewardId)) throw PointsErrors.notFound('reward');
  return inTransaction(db, async (sql) => {
    const account = await lockAccount(sql, request.memberId, { create: false });
    if (!account) throw await stockFailure(sql, request.rewardId, request.quantity);
    await expireDueLots(sql, request.memberId, account.now, account.now, options.actor);
    const [taken] = await sql.rows<{ points_cost: number }>(`UPDATE rewards SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING points_cost`, [
      request.rewardId,
      request.quantity,
    ]);
    if (!taken) throw await stockFailure(sql, request.rewardId, request.quantity);
    const cost = taken.points_cost * request.quantity;
    const orderId = randomUUID();
    const line = await spend(sql, { memberId: request.memberId, amount: cost, sourceRef: orderRef(orderId), at: account.now, actor: options.actor });
    if (!line) throw PointsErrors.insufficientPoints();
    const [row] = await sql.rows(
      `INSERT INTO reward_orders (id, member_id, reward_id, quantity, points_spent, status, spend_transaction_id, created_at)
       VALUES ($1, $2, $3, $4, $5, 'PLACED', $6, $7) RETURNING *`,
      [orderId, request.memberId, request.rewardId, request.quantity, cost, line.id, account.now],
    );
    const order = orderFromRow(row);
    await recordPointsEvent(sql, { type: 'REWARD_ORDER_PLACED', subjectId: order.id, data: orderEventData(order), audience: options.audience ?? {} });
    return order;
  });
}

/**
 * Gives the points (as a REVERSAL into the lots they came from) and the stock back, once. With
 * `ownerId`, an order of anyone else is NOT_FOUND (a member may not learn that it exists).
 */
export async function cancelOrder(
  db: DataSource,
  request: { orderId: string; ownerId?: string },
  options: { actor: LedgerActor; audienceOf?: (memberId: string) => Promise<EventAudience> },
): Promise<RewardOrderEntity> {
  if (!isUuid(request.orderId)) throw PointsErrors.notFound('reward order');
  const [found] = await db.query(`SELECT member_id FROM reward_orders WHERE id = $1`, [request.orderId]);
  if (!found || (request.ownerId !== undefined && found.member_id !== request.ownerId)) throw PointsErrors.notFound('reward order');
  const memberId: string = found.member_id;
  const audience = (await options.audienceOf?.(memberId)) ?? {};
  return inTransaction(db, async (sql) => {
    const account = await lockAccount(sql, memberId, { create: false });
    if (!account) throw new Error(`reward order ${request.orderId} has no points account`);
    // Read again under the account lock: two cancels of one order are serialized here.
    const [current] = await sql.rows(`SELECT * FROM reward_orders WHERE id = $1`, [request.orderId]);
    const order = orderFromRow(current);
    if (order.status === 'CANCELLED') throw PointsErrors.orderAlreadyCancelled();
    await expireDueLots(sql, memberId, account.now, account.now, options.actor);
    const reversal = await reverseSpend(sql, {
      memberId,
      spendTransactionId: order.spendTransactionId,
      amount: order.pointsSpent,
      sourceRef: orderRef(order.id),
      at: account.now,
      actor: options.actor,
    });
    const [row] = await sql.rows(
      `UPDATE reward_orders SET status = 'CANCELLED', reversal_transaction_id = $2, cancelled_at = $3, cancelled_by = $4
        WHERE id = $1 AND status = 'PLACED' RETURNING *`,
      [order.id, reversal.id, account.now, `${options.actor.kind}:${options.actor.id}`],
    );
    await sql.rows(`UPDATE rewards SET stock = stock + $2 WHERE id = $1`, [order.rewardId, order.quantity]);
    // Points that went back into lots already past their date expire now, in the same transaction.
    await expireDueLots(sql, memberId, account.now, account.now, options.actor);
    const cancelled = orderFromRow(row);
    await recordPointsEvent(sql, { type: 'REWARD_ORDER_CANCELLED', subjectId: cancelled.id, data: orderEventData(cancelled), audience });
    return cancelled;
  });
}

/** MEMBER with member:self: orders for themselves. */
export async function redeemReward(ctx: PointsContext, rewardId: string, quantity: number): Promise<RewardOrderEntity> {
  if (ctx.principal.kind !== 'MEMBER') throw PointsErrors.forbidden('only a member (a MEMBER token) orders in the points mall');
  // A suspended or lapsed member keeps its points but cannot spend them: a member token issued
  // before the status change is still valid for minutes, so the status is asked here too.
  const facts = await ctx.directory.members.load(ctx.principal.id);
  if (!facts || facts.status !== 'ACTIVE') throw PointsErrors.notEligible(`the member is ${facts?.status ?? 'unknown'}, not ACTIVE`);
  return placeOrder(
    ctx.db,
    { memberId: ctx.principal.id, rewardId, quantity },
    { actor: { kind: 'MEMBER', id: ctx.principal.id }, audience: await memberAudience(ctx, ctx.principal.id) },
  );
}

/** MEMBER: own orders only; PLATFORM with reward:manage: any order. */
export async function cancelRewardOrder(ctx: PointsContext, orderId: string): Promise<RewardOrderEntity> {
  const actor = { kind: ctx.principal.kind, id: ctx.principal.id };
  const audienceOf = (memberId: string) => memberAudience(ctx, memberId);
  if (ctx.principal.kind === 'MEMBER' && hasScope(ctx.principal, 'member:self'))
    return cancelOrder(ctx.db, { orderId, ownerId: ctx.principal.id }, { actor, audienceOf });
  if (ctx.principal.kind === 'PLATFORM' && hasScope(ctx.principal, 'reward:manage')) return cancelOrder(ctx.db, { orderId }, { actor, audienceOf });
  throw PointsErrors.forbidden('only the member who placed the order or the platform may cancel it');
}
