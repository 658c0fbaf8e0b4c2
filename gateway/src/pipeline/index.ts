import type { ServerResponse } from 'node:http';
import type { InputValidator } from '../input-validation';
import type { OperationAnalyzer } from '../limits';
import { recordAccess, type AccessRecordDeps } from './access-record';
import { answer } from './answer';
import { authenticate, type AuthenticationDeps } from './authenticate';
import { chargeCostBudget, type CostBudgetDeps } from './cost-budget';
import { runStages, type GraphQLExchange, type NamedStage } from './exchange';
import { executeOperation, type ExecuteDeps } from './execute';
import { checkInputs } from './input-check';
import { gateIntrospection } from './introspection-gate';
import { enforceQueryLimits } from './query-limits';
import { readGraphQLRequest } from './read-request';
import { checkScopes, type ScopeCheckDeps } from './scope-check';

export * from './exchange';

export interface GraphQLPipelineDeps {
  maxBodyBytes: number;
  authentication: AuthenticationDeps;
  analyzer: Pick<OperationAnalyzer, 'analyze'>;
  inputs: Pick<InputValidator, 'check'>;
  introspection: { production: boolean; allowIntrospection: boolean };
  budget: CostBudgetDeps;
  scopes: ScopeCheckDeps;
  execute: ExecuteDeps;
  accessRecords: AccessRecordDeps;
}

/**
 * The stages of POST/GET /graphql, in the order a request meets them. Each is a function of its
 * own file (pipeline/<name>.ts) with its own tests; the first that refuses the request answers it
 * and the rest do not run. A new stage goes into this list where it belongs (e.g. a check of
 * arguments, "input-check", sits between "query-limits" and "execute").
 */
export function graphQLStages(deps: GraphQLPipelineDeps): NamedStage[] {
  return [
    { name: 'read-request', run: (x) => readGraphQLRequest(x, { maxBodyBytes: deps.maxBodyBytes }) },
    { name: 'authenticate', run: (x) => authenticate(x, deps.authentication) },
    { name: 'query-limits', run: (x) => enforceQueryLimits(x, { analyzer: deps.analyzer }) },
    { name: 'input-check', run: (x) => checkInputs(x, { inputs: deps.inputs }) },
    { name: 'introspection-gate', run: (x) => gateIntrospection(x, deps.introspection) },
    { name: 'cost-budget', run: (x) => chargeCostBudget(x, deps.budget) },
    { name: 'scope-check', run: (x) => checkScopes(x, deps.scopes) },
    { name: 'execute', run: (x) => executeOperation(x, deps.execute) },
    { name: 'access-record', run: (x) => recordAccess(x, deps.accessRecords) },
  ];
}

/**
 * Runs one GraphQL request through the stages, then the answer stage writes what they decided.
 * `decided` is told first (or when a stage throws), for the request's log line and metrics.
 */
export async function runGraphQLPipeline(
  stages: readonly NamedStage[],
  exchange: GraphQLExchange,
  res: ServerResponse,
  decided: (exchange: GraphQLExchange, failed: boolean) => void = () => {},
  /** After a stage refused the request, before the answer (e.g. reading the budget left for its headers). */
  onRefused: (exchange: GraphQLExchange) => Promise<void> = async () => {},
): Promise<GraphQLExchange> {
  try {
    if (await runStages(stages, exchange)) await onRefused(exchange);
  } catch (error) {
    decided(exchange, true);
    throw error;
  }
  decided(exchange, false);
  await answer(res, exchange);
  return exchange;
}
