import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { hasScope, INTERNAL_TOKEN_HEADER, sendGraphQLError, signInternalToken, type Principal } from '@union/common';

export interface MemberExportDeps {
  /** The member subgraph's GraphQL URL (http://host:port/graphql); the export lives next to it. */
  memberSubgraphUrl: string;
  internalSecret: string;
}

/** Response headers of the member subgraph that a partner gets to see. */
const FORWARDED_HEADERS = ['content-type', 'content-disposition', 'cache-control', 'retry-after', 'x-export-id', 'x-export-masked'];

/**
 * GET /exports/members?organizationId=...&format=csv|ndjson&status=...: a partner's member export.
 * The scope is checked here (FORBIDDEN before anything is asked of the member subgraph); the
 * subtree, the filter and the masking are checked by the member subgraph, which streams the file
 * straight from PostgreSQL. The bytes are piped through as they come: nothing is buffered here, a
 * slow partner slows the database down, and a partner that hangs up stops it.
 */
export async function handleMemberExport(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  requestId: string,
  deps: MemberExportDeps,
): Promise<void> {
  if (req.method !== 'GET') {
    return sendGraphQLError(res, 405, 'BAD_USER_INPUT', 'use GET for /exports/members', { allow: 'GET' });
  }
  if (!hasScope(principal, 'member:export')) {
    return sendGraphQLError(res, 403, 'FORBIDDEN', 'missing scope: member:export');
  }
  const search = new URL(req.url ?? '/', 'http://gateway').search;
  const target = new URL(`/stream/member-export${search}`, deps.memberSubgraphUrl);
  const token = await signInternalToken(principal, deps.internalSecret);

  await new Promise<void>((resolve, reject) => {
    const upstreamRequest = httpRequest(target, { method: 'GET', headers: { [INTERNAL_TOKEN_HEADER]: token, 'x-request-id': requestId } });
    // The partner hung up before the member subgraph answered: stop asking.
    const onClientGone = () => upstreamRequest.destroy();
    res.once('close', onClientGone);
    upstreamRequest.once('error', (error) => {
      res.off('close', onClientGone);
      if (res.headersSent || res.destroyed) {
        res.destroy();
        resolve();
      } else reject(error);
    });
    upstreamRequest.once('response', (upstream) => {
      res.off('close', onClientGone);
      const headers: Record<string, string> = { 'x-request-id': requestId };
      for (const name of FORWARDED_HEADERS) {
        const value = upstream.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      res.writeHead(upstream.statusCode ?? 502, headers);
      // pipeline destroys both sides when either fails: a cut upstream cuts the partner's download
      // (never a silently short file), a partner hanging up stops the export upstream.
      pipeline(upstream, res).then(resolve, () => resolve());
    });
    upstreamRequest.end();
  });
}
