import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, type GraphQLSchema } from 'graphql';

export const EXAMPLE_OPERATIONS_DIR = join(__dirname, '..', '..', 'examples', 'operations');

/**
 * The operation names metrics may carry as label values: the named operations of the published
 * examples (what partners copy) and every top-level field of the schema (what an anonymous
 * operation is labelled by). Anything else is counted as `other`, so a caller cannot create
 * series by inventing names.
 */
export function knownOperationNames(schema: GraphQLSchema, examplesDir = EXAMPLE_OPERATIONS_DIR): Set<string> {
  const names = new Set<string>();
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.keys(root?.getFields() ?? {})) names.add(field);
  }
  if (existsSync(examplesDir)) {
    for (const file of readdirSync(examplesDir).filter((f) => f.endsWith('.graphql'))) {
      for (const definition of parse(readFileSync(join(examplesDir, file), 'utf8')).definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
      }
    }
  }
  return names;
}
