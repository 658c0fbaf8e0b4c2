import type { DemoCredentials, DemoPartnerKey } from '@union/common';

/** A partner's OAuth2 client credentials. */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** The token endpoint's HTTP status and JSON body (access_token on success, error and error_description otherwise). */
export interface TokenResponse {
  status: number;
  body: Record<string, string>;
}

/**
 * POST /oauth/token like a partner would: client id and secret over HTTP Basic, form-encoded
 * parameters, grant_type client_credentials unless `params` names another. Used by the benchmarks
 * and by tests/testkit/client.ts.
 */
export async function requestToken(tokenUrl: string, client: ClientCredentials, params: Record<string, string> = {}): Promise<TokenResponse> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** requestToken with a demo partner's credentials (demo-credentials.json). */
export const requestDemoPartnerToken = (credentials: DemoCredentials, partner: DemoPartnerKey, params: Record<string, string> = {}) =>
  requestToken(credentials.tokenUrl, credentials.partners[partner], params);

/** A demo partner's access token; throws with the endpoint's answer when it issued none. */
export async function demoPartnerAccessToken(credentials: DemoCredentials, partner: DemoPartnerKey, params: Record<string, string> = {}): Promise<string> {
  const { status, body } = await requestDemoPartnerToken(credentials, partner, params);
  if (!body.access_token) throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The parameters of the member app's way in: the PLATFORM exchanges a member id for a short-lived MEMBER token (RFC 8693). */
export const memberTokenExchange = (memberId: string): Record<string, string> => ({
  grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
  subject_token: memberId,
  subject_token_type: 'urn:union-benefits:params:oauth:token-type:member-id',
});
