import { GraphQLError } from 'graphql';
import type { InputValidator } from '../input-validation';
import type { GraphQLExchange, Refusal } from './exchange';

/**
 * Stage "check inputs": every argument value, in literals and variables, before Apollo validates
 * or plans (input-validation.ts): DateTime and Date with an offset and a real day, no control
 * characters or lone surrogates, lengths and bounds from the schema; the request's shape
 * (operationName, variables). 400 BAD_USER_INPUT naming the argument. It reuses the document the
 * limits stage parsed.
 */
export function checkInputs(exchange: GraphQLExchange, deps: { inputs: Pick<InputValidator, 'check'> }): Refusal | void {
  try {
    deps.inputs.check(exchange.operation ?? {}, exchange.analysis?.document);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { status: 400, body: { errors: [{ message: error.message, extensions: { code: 'BAD_USER_INPUT', argument: error.extensions.argument } }] } };
  }
}
