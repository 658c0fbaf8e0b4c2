import type { ApolloServer } from '@apollo/server';
import { headerMap } from '@union/common';
import { AccessReportCollector } from '../audit';
import type { PlannedExecution } from '../planned-execution';
import type { GatewayContext, GraphQLExchange } from './exchange';

export interface ExecuteDeps {
  apollo: Pick<ApolloServer<GatewayContext>, 'executeHTTPGraphQLRequest'>;
  /** The gateway's own path for plain requests (planned-execution.ts); absent: Apollo answers all. */
  planned?: Pick<PlannedExecution, 'execute'>;
}

/**
 * Stage "execute": a plain JSON POST of a document the scope check passed runs on the planned
 * path (its operation planned once, executed with Apollo Gateway's executor); anything else goes
 * to Apollo Server, which validates (or finds the document the limits stage parsed, already
 * validated, in its document store: the query text is not parsed again), plans and runs it. The
 * context it runs with stays on the exchange, so the stages after it read what the subgraphs
 * reported.
 */
export async function executeOperation(exchange: GraphQLExchange, deps: ExecuteDeps): Promise<void> {
  const { principal, rate } = exchange;
  if (!principal || !rate) throw new Error('execute: the request was not authenticated and charged');
  const context: GatewayContext = {
    principal,
    requestId: exchange.requestId,
    accessReport: new AccessReportCollector(),
    rate,
    notes: { subgraphFetches: 0 },
    scopesCheckedFor: exchange.scopesCheckedFor,
  };
  exchange.context = context;
  const planned = await deps.planned?.execute(exchange, context);
  context.notes.executedBy = planned ? 'planned' : 'apollo';
  exchange.response =
    planned ??
    (await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: exchange.req.method ?? 'POST', headers: headerMap(exchange.req), search: exchange.url.search, body: exchange.body },
      context: async () => context,
    }));
}
