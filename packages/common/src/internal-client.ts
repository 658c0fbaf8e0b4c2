import DataLoader from 'dataloader';
import { REQUEST_ID_HEADER } from './logging';
import { ServiceUnavailableError } from './availability';
import { INTERNAL_TOKEN_HEADER, serviceCaller, signInternalToken } from './principal';

/** An internal call that has not answered within this is treated as the other service being unavailable. */
const INTERNAL_CALL_TIMEOUT_MS = 10_000;

/**
 * Calls another subgraph's /internal/<route> as a service. Subgraphs never read each other's
 * tables; when one needs another's facts (is this member active, which unions is it under) it asks
 * the owner over HTTP, batched per request through a DataLoader.
 */
export class InternalClient {
  constructor(
    private readonly baseUrl: string,
    private readonly caller: string,
    private readonly secret: string,
    /** The request this call is made for: its id travels on (x-request-id) into the callee's log line. */
    private readonly requestId?: string,
  ) {}

  /** The callee as operators know it: the host and port of its URL. */
  private serviceName(): string {
    try {
      return new URL(this.baseUrl).host;
    } catch {
      return this.baseUrl;
    }
  }

  async call<T>(route: string, body: unknown): Promise<T> {
    const token = await signInternalToken(serviceCaller(this.caller), this.secret, 30);
    const url = `${this.baseUrl.replace(/\/graphql$/, '')}/internal/${route}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token, ...(this.requestId ? { [REQUEST_ID_HEADER]: this.requestId } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(INTERNAL_CALL_TIMEOUT_MS),
      });
    } catch (error) {
      // Refused, reset or timed out: the other service is down or restarting, not broken.
      throw new ServiceUnavailableError(
        this.serviceName(),
        `${route}: ${(error as Error)?.cause ? String((error as Error & { cause: unknown }).cause) : (error as Error).message}`,
      );
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      throw new ServiceUnavailableError(this.serviceName(), `${route} answered HTTP ${response.status}`);
    }
    if (!response.ok) throw new Error(`internal call ${route} failed with HTTP ${response.status}`);
    return (await response.json()) as T;
  }
}

/** What other subgraphs may know about a member to decide eligibility and visibility. */
export interface MemberFacts {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'TRANSFERRED_OUT' | 'LAPSED';
  realNameVerified: boolean;
  organizationId: string;
  /** The member's organization and all its ancestors, nearest first. */
  organizationChain: string[];
}

/**
 * The member subgraph's answer on POST /internal/verification {id} (null when there is no such
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

/** An organization and its ancestors, nearest first (the organization itself included). */
export interface OrganizationFacts {
  id: string;
  chain: string[];
}

export interface MemberDirectory {
  members: DataLoader<string, MemberFacts | null>;
  organizations: DataLoader<string, OrganizationFacts | null>;
}

/** Per-request loaders over the member subgraph's internal routes: one HTTP call per batch. */
export function memberDirectory(client: InternalClient): MemberDirectory {
  return {
    members: new DataLoader(async (ids) => {
      const found = await client.call<MemberFacts[]>('member-facts', { ids });
      const byId = new Map(found.map((m) => [m.id, m]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    organizations: new DataLoader(async (ids) => {
      const found = await client.call<OrganizationFacts[]>('organization-facts', { ids });
      const byId = new Map(found.map((o) => [o.id, o]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
