import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { produceSchemas, schemaDir } from '../../scripts/src/schema';

/**
 * schema/*.graphql are build artifacts committed for partners to read and for the gateway to boot
 * from. They must be exactly what the code produces now: run `npm run schema` after a change.
 */
describe('generated schema files', () => {
  let produced: Awaited<ReturnType<typeof produceSchemas>>;

  beforeAll(async () => {
    produced = await produceSchemas(); // throws, failing every test, when composition fails
  });

  it.each(['member', 'benefit', 'points', 'events'])('schema/%s.graphql is up to date', (name) => {
    expect(readFileSync(join(schemaDir, `${name}.graphql`), 'utf8')).toBe(produced.subgraphs[name]);
  });

  it('schema/supergraph.graphql is up to date', () => {
    expect(readFileSync(join(schemaDir, 'supergraph.graphql'), 'utf8')).toBe(produced.supergraph);
  });
});
