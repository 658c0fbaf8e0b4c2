import type { DemoPartnerKey } from '@union/common';
import { memberTokenExchange, requestDemoPartnerToken } from '../../scripts/src/partner-token';
import type { RunningSystem } from './system';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }> };
}

/** POST /oauth/token with the demo partner's credentials (HTTP Basic), like a partner would. */
export const requestToken = (system: RunningSystem, partner: DemoPartnerKey, params: Record<string, string> = {}) =>
  requestDemoPartnerToken(system.credentials, partner, params);

export async function partnerToken(system: RunningSystem, partner: DemoPartnerKey, scope?: string): Promise<string> {
  const { status, body } = await requestToken(system, partner, scope ? { scope } : {});
  if (status !== 200) throw new Error(`token request for ${partner} failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The member app's way in: the PLATFORM exchanges a member id for a short-lived MEMBER token (RFC 8693). */
export async function memberToken(system: RunningSystem, memberId: string): Promise<string> {
  const { status, body } = await requestToken(system, 'platform', memberTokenExchange(memberId));
  if (status !== 200) throw new Error(`member token exchange failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function gql<T = Record<string, any>>(
  system: RunningSystem,
  token: string | null,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

/** The `extensions.code` of every error of a response, in order. */
export const errorCodes = (response: GraphQLResponse<unknown>) => (response.body.errors ?? []).map((e) => e.extensions?.code);
