import type { IncomingHttpHeaders } from 'node:http';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { getOperationAST, getVariableValues, GraphQLError, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { GatewayContext, GraphQLExchange } from './pipeline/exchange';

type OperationContext = ReturnType<typeof buildOperationContext>;
type GatewayGraphQLRequestContext = Parameters<typeof executeQueryPlan>[2];

/** An operation of a document, planned once: what Apollo Gateway rebuilt for every request. */
interface PlannedOperation {
  operationContext: OperationContext;
  queryPlan: QueryPlan;
  /** The operation's own name (null: anonymous), for logs and metrics. */
  name: string | null;
}

/** A plain GraphQL request as read from its JSON body, which the planned path may run. */
interface PlainRequest {
  document: DocumentNode;
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  extensions: Record<string, unknown> | undefined;
}

/** What Apollo Server answers a single result with when the caller accepts JSON. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** Operation names planned per document at most; a document sent with endless names goes to Apollo. */
const MAX_NAMES_PER_DOCUMENT = 16;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const absentOr = <T>(value: unknown, check: (value: unknown) => value is T): boolean => value === undefined || value === null || check(value);
const isString = (value: unknown): value is string => typeof value === 'string';

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}

/** Accept headers for which Apollo Server answers JSON (every other one it negotiates itself). */
function acceptsJson(headers: IncomingHttpHeaders): boolean {
  const accept = headers.accept?.trim().toLowerCase();
  return accept === undefined || accept === '' || accept === '*/*' || accept === 'application/json';
}

/**
 * The request as the planned path runs it, or undefined for anything else: a GET, another content
 * type, an Accept header to negotiate, an operation name, variables or extensions of the wrong
 * type, a persisted query, incremental delivery, the experimental query-plan header, a document
 * the scope check did not pass (unparsed, invalid, refused). Apollo Server answers all of those
 * exactly as before, with its own errors.
 */
export function plainRequestOf(exchange: GraphQLExchange): PlainRequest | undefined {
  const { req, body, analysis } = exchange;
  const document = analysis?.document;
  if (req.method !== 'POST' || !document || exchange.scopesCheckedFor !== document) return undefined;
  if (mediaType(req.headers['content-type']) !== 'application/json' || !acceptsJson(req.headers)) return undefined;
  if (req.headers['apollo-query-plan-experimental'] !== undefined || !isRecord(body)) return undefined;
  const { query, operationName, variables, extensions } = body;
  if (!isString(query) || query.includes('@defer') || query.includes('@stream')) return undefined;
  if (!absentOr(operationName, isString) || !absentOr(variables, isRecord) || !absentOr(extensions, isRecord)) return undefined;
  if (isRecord(extensions) && 'persistedQuery' in extensions) return undefined;
  return {
    document,
    query,
    operationName: isString(operationName) ? operationName : undefined,
    variables: isRecord(variables) ? variables : undefined,
    extensions: isRecord(extensions) ? extensions : undefined,
  };
}

/** The HTTP part an error asks for in `extensions.http` (Apollo Server's convention), taken out of the error. */
interface HttpFromErrors {
  status?: number;
  headers: Map<string, string>;
}

/**
 * Errors as Apollo Server hands them to its `formatError`: a GraphQLError's JSON with a code
 * (INTERNAL_SERVER_ERROR when it has none), `extensions.http` taken out into the response.
 */
function formatErrors(
  errors: readonly unknown[],
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): { formatted: GraphQLFormattedError[]; http: HttpFromErrors } {
  const http: HttpFromErrors = { headers: new Map() };
  const formatted = errors.map((original) => {
    const error =
      original instanceof GraphQLError
        ? original
        : new GraphQLError(original instanceof Error ? original.message : `Unexpected error value: ${String(original)}`, {
            originalError: original instanceof Error ? original : undefined,
          });
    const extensions: Record<string, unknown> = { ...error.extensions, code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR' };
    const asked = extensions.http as { status?: unknown; headers?: unknown } | undefined;
    if (isRecord(asked) && (asked.status === undefined || typeof asked.status === 'number') && (asked.headers === undefined || asked.headers instanceof Map)) {
      if (typeof asked.status === 'number') http.status = asked.status;
      if (asked.headers instanceof Map) for (const [name, value] of asked.headers) http.headers.set(String(name), String(value));
      delete extensions.http;
    }
    try {
      return formatError({ ...error.toJSON(), extensions }, original);
    } catch {
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  });
  return { formatted, http };
}

export interface PlannedExecutionOptions {
  /** The supergraph the query planner plans against (the same text Apollo Gateway was given). */
  supergraphSdl: string;
  /** The subgraph data sources Apollo Gateway fetches with (one per subgraph, shared). */
  serviceMap: ServiceMap;
  /** The API schema documents were validated against (Apollo Gateway's, once it has loaded). */
  schema: () => GraphQLSchema | undefined;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Run on every answer before it leaves (the outcome notes, a 503 for an answer that lost everything). */
  beforeAnswer: (answer: {
    context: GatewayContext;
    operationName: string | null;
    data: unknown;
    errors?: readonly GraphQLFormattedError[];
    response: HTTPGraphQLResponse;
  }) => void;
  logger: GatewayGraphQLRequestContext['logger'];
}

/**
 * The gateway's own path for the requests partners send all day: a JSON POST of a valid,
 * scope-checked document. Per request, Apollo Server and Apollo Gateway hashed the query text,
 * negotiated the content type, ran plugin hooks and rebuilt the operation context before the
 * query plan cache was even asked: in-process, on the same request and data sources, 185-244 µs
 * of CPU against this path's 74-102 µs on the 2-core bench machine
 * (scripts/src/bench/execute-stage.ts). Here a document's operation is planned once (kept with
 * the document, as long as the document cache keeps it) and run with Apollo Gateway's own
 * `executeQueryPlan` through the same data sources, so fetching, merging and result shaping are
 * Apollo's. The answer is formatted as Apollo Server formats it (same error formatter, status,
 * headers, body).
 */
export class PlannedExecution {
  private readonly supergraphSchema: GraphQLSchema;
  private readonly apiSchema: Schema;
  private readonly planner: QueryPlanner;
  private readonly plans = new WeakMap<DocumentNode, Map<string, PlannedOperation | null>>();

  constructor(private readonly options: PlannedExecutionOptions) {
    const supergraph = Supergraph.build(options.supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  /** The answer to the exchange's request, or undefined when Apollo Server is to answer it. */
  async execute(exchange: GraphQLExchange, context: GatewayContext): Promise<HTTPGraphQLResponse | undefined> {
    const request = plainRequestOf(exchange);
    if (!request) return undefined;
    const schema = this.options.schema();
    const planned = schema && this.planned(schema, request);
    if (!planned) return undefined;
    const variableDefinitions = planned.operationContext.operation.variableDefinitions ?? [];
    // Variables that do not fit are Apollo's to refuse, in its words; nothing has run yet.
    if (variableDefinitions.length > 0 && getVariableValues(schema, variableDefinitions, request.variables ?? {}).errors) return undefined;

    const requestContext = {
      request: { query: request.query, operationName: request.operationName, variables: request.variables, extensions: request.extensions },
      context,
      logger: this.options.logger,
      schema,
      metrics: {},
      source: request.query,
      document: request.document,
      operation: planned.operationContext.operation,
      operationName: planned.name,
    } as unknown as GatewayGraphQLRequestContext;

    let data: unknown;
    let errors: readonly unknown[] | undefined;
    let extensions: Record<string, unknown> | undefined;
    // What Apollo Server does with an executor that threw: the error, HTTP 500.
    let status: number | undefined;
    try {
      ({ data, errors, extensions } = await executeQueryPlan(
        planned.queryPlan,
        this.options.serviceMap,
        requestContext,
        planned.operationContext,
        this.supergraphSchema,
        this.apiSchema,
      ));
    } catch (error) {
      errors = [error];
      status = 500;
    }
    const { formatted, http } = errors?.length ? formatErrors(errors, this.options.formatError) : { formatted: undefined, http: undefined };
    status ??= http?.status ?? (formatted && data === undefined ? 400 : 200);
    const response: HTTPGraphQLResponse = {
      status,
      headers: new HeaderMap([...(http?.headers ?? []), ['content-type', JSON_CONTENT_TYPE]]),
      body: { kind: 'complete', string: `${JSON.stringify({ errors: formatted, data, extensions })}\n` },
    };
    this.options.beforeAnswer({ context, operationName: planned.name, data, errors: formatted, response });
    return response;
  }

  private planned(schema: GraphQLSchema, request: PlainRequest): PlannedOperation | null {
    let byName = this.plans.get(request.document);
    if (!byName) this.plans.set(request.document, (byName = new Map()));
    const key = request.operationName ?? '';
    const known = byName.get(key);
    if (known !== undefined) return known;
    const planned = this.plan(schema, request);
    if (byName.size < MAX_NAMES_PER_DOCUMENT) byName.set(key, planned);
    return planned;
  }

  /** The operation planned, or null for what Apollo is to answer (no such operation, a subscription, a plan that fails). */
  private plan(schema: GraphQLSchema, { document, operationName }: PlainRequest): PlannedOperation | null {
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation === 'subscription') return null;
    try {
      const operationContext = buildOperationContext({ schema, operationDocument: document, operationName });
      const queryPlan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
      return { operationContext, queryPlan, name: operation.name?.value ?? null };
    } catch {
      return null;
    }
  }
}
