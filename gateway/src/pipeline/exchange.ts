import type { IncomingMessage } from 'node:http';
import type { HTTPGraphQLResponse } from '@apollo/server';
import type { Principal } from '@union/common';
import type { AccessReportCollector } from '../audit';
import type { OperationAnalysis } from '../limits';
import type { PartnerAccess } from '../partner-access';
import type { BudgetState } from '../rate-limit';

/** The rate-limit bucket a request is charged to and its budget (null: the gateway default). */
export interface RateBucket {
  key: string;
  perMinute: number | null;
}

/** What Apollo and the subgraph data sources see of a request (Apollo's context value). */
export interface GatewayContext {
  principal: Principal;
  requestId: string;
  /** One internal token per request, shared by all of its subgraph fetches. */
  internalToken?: Promise<string>;
  /** What the subgraphs reported about this request: personal data disclosed, failed guesses. */
  accessReport: AccessReportCollector;
  /** The rate-limit bucket this request was charged to and its budget, for after-the-fact penalties. */
  rate: RateBucket;
  /** The document the scope check passed, so Apollo's own safety net does not check it again. */
  scopesCheckedFor?: unknown;
  /**
   * What execution found out, for the stages after it and the request's log line. An object of its
   * own because Apollo runs plugins and data sources with a shallow copy of the context.
   */
  notes: ExecutionNotes;
}

export interface ExecutionNotes {
  /** Subgraph fetches made for this request. */
  subgraphFetches: number;
  /** The contract code of the first error of the answer, or OK (set as the answer leaves Apollo). */
  outcome?: string;
  /** The operation Apollo resolved (null: anonymous or none). */
  operationName?: string | null;
  /** Which path answered: the gateway's planned path, or Apollo Server (see pipeline/execute.ts). */
  executedBy?: 'planned' | 'apollo';
}

/** The GraphQL operation a request carries, as Apollo will read it (GET parameters or a JSON body). */
export interface RequestedOperation {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

/** An answer a stage gives instead of passing the request on (a refusal), written by the answer stage. */
export interface Refusal {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * One GraphQL request on its way through the pipeline. Each stage reads what the stages before it
 * filled in and adds its own part; the fields are optional because a stage may refuse the request
 * before the later ones run.
 */
export interface GraphQLExchange {
  req: IncomingMessage;
  url: URL;
  requestId: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** read the request */
  body?: unknown;
  operation?: RequestedOperation;
  /** authenticate */
  principal?: Principal;
  access?: PartnerAccess | null;
  /** enforce query limits (null: not analysable here; Apollo answers the parse or validation error) */
  analysis?: OperationAnalysis | null;
  /** check scopes: the document found allowed for this caller */
  scopesCheckedFor?: unknown;
  /** charge the budget */
  rate?: RateBucket;
  cost?: number;
  /** What the caller has left after this request (the RateLimit-* headers); unset before authentication. */
  budget?: BudgetState;
  /** execute */
  context?: GatewayContext;
  response?: HTTPGraphQLResponse;
  /** Set by whichever stage refused the request; the answer stage writes it. */
  refusal?: Refusal;
}

/** A stage either passes the request on (returns nothing) or refuses it (returns the answer to send). */
export type Stage = (exchange: GraphQLExchange) => Promise<Refusal | void> | Refusal | void;

export interface NamedStage {
  /** What the stage is, as it appears in logs and in the pipeline's listing (e.g. "query-limits"). */
  name: string;
  run: Stage;
}

/**
 * Runs the stages in order until one refuses the request; the refusal (or nothing, when every
 * stage passed) is returned for the answer stage to write.
 */
export async function runStages(stages: readonly NamedStage[], exchange: GraphQLExchange): Promise<Refusal | undefined> {
  for (const stage of stages) {
    const refusal = await stage.run(exchange);
    if (refusal) {
      exchange.refusal = refusal;
      return refusal;
    }
  }
  return undefined;
}

/** A GraphQL-shaped refusal: `{ errors: [{ message, extensions: { code, ...extensions } }] }`. */
export function graphQLRefusal(
  status: number,
  code: string,
  message: string,
  options: { headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
): Refusal {
  return { status, body: { errors: [{ message, extensions: { code, ...options.extensions } }] }, headers: options.headers };
}
