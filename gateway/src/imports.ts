import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { hasScope, INTERNAL_TOKEN_HEADER, sendGraphQLError, signInternalToken, type Principal } from '@union/common';
import type { DataSource } from 'typeorm';
import { appendAccessRecord } from './audit';

export interface MemberImportDeps {
  /** The member subgraph's GraphQL URL (http://host:port/graphql); the import lives next to it. */
  memberSubgraphUrl: string;
  internalSecret: string;
  db: DataSource;
  log: (line: string) => void;
}

/** What a member import costs against the rate limit: it may write a whole register. */
export const MEMBER_IMPORT_COST = 1000;

/** Response headers of the member subgraph that a partner gets to see. */
const FORWARDED_HEADERS = ['content-type', 'retry-after', 'connection', 'x-import-id'];
/** Request headers the member subgraph needs to read the file. */
const UPLOAD_HEADERS = ['content-type', 'content-length', 'transfer-encoding'];

/**
 * POST /imports/members?organizationId=...&dryRun=true|false: a union loads a member file (CSV or
 * XLSX). The scope is checked here; the subtree, the size, the type and every row are checked by
 * the member subgraph, to which the body is piped as it arrives (nothing buffered here). Every
 * import that reached the member subgraph is audited twice: its own member_imports row there, and
 * an access record here (like exports) with the outcome.
 */
export async function handleMemberImport(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  requestId: string,
  deps: MemberImportDeps,
): Promise<void> {
  if (req.method !== 'POST') {
    return sendGraphQLError(res, 405, 'BAD_USER_INPUT', 'use POST for /imports/members, with the file as the body', { allow: 'POST' });
  }
  if (!hasScope(principal, 'member:write')) {
    sendGraphQLError(res, 403, 'FORBIDDEN', 'missing scope: member:write', { connection: 'close' });
    res.once('finish', () => req.destroy());
    return;
  }
  const url = new URL(req.url ?? '/', 'http://gateway');
  const target = new URL(`/stream/member-import${url.search}`, deps.memberSubgraphUrl);
  const token = await signInternalToken(principal, deps.internalSecret);
  // The member subgraph says whether it takes the file before any of it is sent: a refused file
  // (too large, wrong subtree, imports busy) is then answered on a connection that carries no
  // unread upload, so no reset can overtake the answer.
  const headers: Record<string, string> = { [INTERNAL_TOKEN_HEADER]: token, 'x-request-id': requestId, expect: '100-continue' };
  for (const name of UPLOAD_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }

  const summary = await new Promise<Record<string, string | undefined> | null>((resolve, reject) => {
    const upstreamRequest = httpRequest(target, { method: 'POST', headers });
    let answered = false;
    // The partner hung up before the member subgraph answered: stop the import's upload. (The
    // response's 'close', not the request's: a request closes as soon as its body was read.)
    const onClientGone = () => {
      if (!answered) upstreamRequest.destroy();
    };
    res.once('close', onClientGone);
    upstreamRequest.once('error', (error) => {
      // The member subgraph answered early (a refused file) and closed: its answer is what counts.
      if (answered) return;
      if (res.headersSent || res.destroyed) {
        res.destroy();
        resolve(null);
      } else reject(error);
    });
    upstreamRequest.once('response', (upstream) => {
      answered = true;
      const forwarded: Record<string, string> = { 'x-request-id': requestId };
      for (const name of FORWARDED_HEADERS) {
        const value = upstream.headers[name];
        if (typeof value === 'string') forwarded[name] = value;
      }
      if (!req.readableEnded) {
        // Refused before the whole file arrived: stop reading the partner's upload.
        forwarded.connection = 'close';
        req.unpipe(upstreamRequest);
        res.once('finish', () => req.destroy());
      }
      res.writeHead(upstream.statusCode ?? 502, forwarded);
      const outcome = {
        status: String(upstream.statusCode ?? 502),
        importId: upstream.headers['x-import-id'] as string | undefined,
        dryRun: upstream.headers['x-import-dry-run'] as string | undefined,
        totalRows: upstream.headers['x-import-total-rows'] as string | undefined,
        created: upstream.headers['x-import-created'] as string | undefined,
        alreadyMembers: upstream.headers['x-import-already-members'] as string | undefined,
        rejected: upstream.headers['x-import-rejected'] as string | undefined,
      };
      pipeline(upstream, res).then(
        () => resolve(outcome),
        () => resolve(outcome),
      );
    });
    upstreamRequest.once('continue', () => {
      if (!answered) req.pipe(upstreamRequest);
    });
  });

  if (!summary?.importId) return;
  const number = (value: string | undefined) => (value === undefined ? null : Number(value));
  try {
    await appendAccessRecord(deps.db, {
      principal,
      operationName: 'POST /imports/members',
      memberIds: [],
      fields: [],
      detail: {
        import: true,
        importId: summary.importId,
        organizationId: url.searchParams.get('organizationId'),
        dryRun: url.searchParams.get('dryRun') === 'true',
        status: Number(summary.status),
        totalRows: number(summary.totalRows),
        created: number(summary.created),
        alreadyMembers: number(summary.alreadyMembers),
        rejected: number(summary.rejected),
      },
    });
  } catch (error) {
    // The import is done; the member subgraph's own log (member_imports) still has it.
    deps.log(`gateway: access record for import ${summary.importId} not written: ${(error as Error)?.stack ?? String(error)}`);
  }
}
