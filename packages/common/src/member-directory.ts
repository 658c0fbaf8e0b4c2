import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import DataLoader from 'dataloader';
import { isUuid } from './ids';
import { InternalClient } from './internal-client';
import { CoalescedLookup } from './coalesced-lookup';
import { CursorCodec } from './pagination';
import type { InternalRoute } from './subgraph-server';

/**
 * The member directory contract: what other services may ask the member subgraph about members
 * and organizations (facts for eligibility and visibility decisions, never personal data). The
 * member subgraph registers its routes from MEMBER_DIRECTORY_ROUTES with memberDirectoryRoutes();
 * benefit and points call them through one MemberDirectoryClient per process.
 */

/** What other subgraphs may know about a member to decide eligibility and visibility. */
export interface MemberFacts {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'TRANSFERRED_OUT' | 'LAPSED';
  realNameVerified: boolean;
  organizationId: string;
  /** The member's organization and all its ancestors, nearest first. */
  organizationChain: string[];
}

/** An organization and its ancestors, nearest first (the organization itself included). */
export interface OrganizationFacts {
  id: string;
  chain: string[];
}

/**
 * The member subgraph's answer on the verification route (null when there is no such
 * verification): what the benefit subgraph learns about a verification when a hospital quotes or
 * applies a discount: who may use it, for what, until when, and the member's facts as they are NOW
 * (a member suspended after the scan must not get the discount).
 */
export interface VerificationFacts {
  id: string;
  partnerId: string;
  purpose: 'HOSPITAL_DISCOUNT' | 'VOUCHER_REDEMPTION' | 'IDENTITY_CHECK';
  method: 'CARD_TOKEN' | 'CARD_NUMBER';
  /** ISO instant. */
  expiresAt: string;
  /** The member's facts at the time of this call, not of the scan. */
  member: MemberFacts;
}

/** Route names under POST /internal/ on the member subgraph. */
export const MEMBER_DIRECTORY_ROUTES = {
  memberFacts: 'member-facts',
  organizationFacts: 'organization-facts',
  verification: 'verification',
} as const;

/** Request and response of every member directory route. */
export interface MemberDirectoryContract {
  memberFacts: { request: { ids: string[] }; response: MemberFacts[] };
  organizationFacts: { request: { ids: string[] }; response: OrganizationFacts[] };
  verification: { request: { id: string }; response: VerificationFacts | null };
}

export type MemberDirectoryRoute = keyof MemberDirectoryContract;

/** Ids one batch may ask for; more are ignored (a DataLoader batch of a page is at most a few hundred). */
export const MEMBER_DIRECTORY_MAX_IDS = 5000;

/**
 * The member subgraph's side: validates each request body into the contract's request type and
 * registers every route under its contract name. A body that is not the contract's shape gets an
 * empty answer, never a query with unchecked input.
 */
export function memberDirectoryRoutes(handlers: {
  [R in MemberDirectoryRoute]: (request: MemberDirectoryContract[R]['request']) => Promise<MemberDirectoryContract[R]['response']>;
}): Record<string, InternalRoute> {
  const idsOf = (body: unknown): string[] => {
    const ids = (body as { ids?: unknown })?.ids;
    return Array.isArray(ids) ? ids.filter(isUuid).slice(0, MEMBER_DIRECTORY_MAX_IDS) : [];
  };
  return {
    [MEMBER_DIRECTORY_ROUTES.memberFacts]: (body) => handlers.memberFacts({ ids: idsOf(body) }),
    [MEMBER_DIRECTORY_ROUTES.organizationFacts]: (body) => handlers.organizationFacts({ ids: idsOf(body) }),
    [MEMBER_DIRECTORY_ROUTES.verification]: (body) => {
      const id = (body as { id?: unknown })?.id;
      return typeof id === 'string' && isUuid(id) ? handlers.verification({ id }) : Promise.resolve(null);
    },
  };
}

/**
 * The calling side: one per process (benefit, points), shared by every request. The request id
 * travels per call so the member subgraph's log line names the request it served (a coalesced
 * lookup: the request that opened it).
 */
export class MemberDirectoryClient {
  private readonly client: InternalClient;
  readonly memberFacts = new CoalescedLookup<MemberFacts>((ids, requestId) => this.call('memberFacts', { ids }, requestId), MEMBER_DIRECTORY_MAX_IDS);
  readonly organizationFacts = new CoalescedLookup<OrganizationFacts>(
    (ids, requestId) => this.call('organizationFacts', { ids }, requestId),
    MEMBER_DIRECTORY_MAX_IDS,
  );

  constructor(memberSubgraphUrl: string, caller: string, secret: string) {
    this.client = new InternalClient(memberSubgraphUrl, caller, secret);
  }

  /** The coalesced lookups by route name, for /metrics. */
  get lookups(): Record<string, CoalescedLookup<{ id: string }>> {
    return { [MEMBER_DIRECTORY_ROUTES.memberFacts]: this.memberFacts, [MEMBER_DIRECTORY_ROUTES.organizationFacts]: this.organizationFacts };
  }

  call<R extends MemberDirectoryRoute>(
    route: R,
    request: MemberDirectoryContract[R]['request'],
    requestId?: string,
  ): Promise<MemberDirectoryContract[R]['response']> {
    return this.client.call<MemberDirectoryContract[R]['response']>(MEMBER_DIRECTORY_ROUTES[route], request, requestId);
  }
}

/** What a subgraph that asks member builds once per process and every request shares. */
export interface MemberDirectoryCaller {
  memberDirectory: MemberDirectoryClient;
  cursors: CursorCodec;
}

const callersByConfig = new WeakMap<object, MemberDirectoryCaller>();

/**
 * The process's member directory client and cursor codec for a subgraph's configuration (one per
 * started subgraph: tests start several in one process, each with its own secret).
 */
export function memberDirectoryCaller(config: { memberSubgraphUrl: string; internalSecret: string }, caller: string): MemberDirectoryCaller {
  let shared = callersByConfig.get(config);
  if (!shared) {
    shared = {
      memberDirectory: new MemberDirectoryClient(config.memberSubgraphUrl, caller, config.internalSecret),
      cursors: new CursorCodec(config.internalSecret),
    };
    callersByConfig.set(config, shared);
  }
  return shared;
}

export interface MemberDirectory {
  members: DataLoader<string, MemberFacts | null>;
  organizations: DataLoader<string, OrganizationFacts | null>;
}

/**
 * Per-request loaders over the member directory: a request's lookups of one turn go out together
 * with those of the other requests in flight (CoalescedLookup). A member whose facts the gateway
 * already carried (a signed accessFacts on the entity representation) is primed into `members` by
 * the Member reference resolver and costs no call.
 */
export function memberDirectory(client: MemberDirectoryClient, requestId?: string): MemberDirectory {
  return {
    members: new DataLoader(async (ids) => {
      const byId = await client.memberFacts.get(ids, requestId);
      return ids.map((id) => byId.get(id) ?? null);
    }),
    organizations: new DataLoader(async (ids) => {
      const byId = await client.organizationFacts.get(ids, requestId);
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

/**
 * Member facts carried by the gateway. The member subgraph answers Member.accessFacts (an
 * @inaccessible field: never in the partner API) as `<payload>.<mac>`, the payload being the facts
 * and an expiry, the mac an HMAC-SHA256 under INTERNAL_SECRET with its own label (a cursor or a
 * token signed with the same secret never reads as facts). Benefit and points @require the field
 * on their Member fields, so the facts the member subgraph read for this very request reach them
 * without a call back. Short-lived: a representation replayed later is refused and the facts are
 * asked for again.
 */
const ACCESS_FACTS_LABEL = 'member-access-facts.v1.';
export const ACCESS_FACTS_TTL_MS = 30_000;

/** The secret as a key object, made once per secret (every entity representation is checked with it). */
const keys = new Map<string, KeyObject>();
const keyOf = (secret: string): KeyObject => {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
};

const mac = (payload: string, secret: string): Buffer => createHmac('sha256', keyOf(secret)).update(ACCESS_FACTS_LABEL).update(payload).digest();

/** Signs a member's facts for the gateway to carry to benefit and points. */
export function signMemberAccessFacts(facts: MemberFacts, secret: string, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ f: facts, e: now + ACCESS_FACTS_TTL_MS })).toString('base64url');
  return `${payload}.${mac(payload, secret).toString('base64url')}`;
}

/**
 * The facts in a signed accessFacts string for member `memberId`, or null when there is none, it is
 * not ours, it has expired or it names another member (the caller then asks the member directory).
 */
export function readMemberAccessFacts(signed: unknown, memberId: string, secret: string, now = Date.now()): MemberFacts | null {
  if (typeof signed !== 'string') return null;
  const dot = signed.indexOf('.');
  if (dot <= 0) return null;
  const payload = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1), 'base64url');
  const expected = mac(payload, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const { f, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { f: MemberFacts; e: number };
    if (typeof e !== 'number' || e <= now || f?.id !== memberId || !Array.isArray(f.organizationChain)) return null;
    return f;
  } catch {
    return null;
  }
}
