import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBenefitSchema } from '@union/benefit-subgraph';
import { buildEventsSchema } from '@union/events-subgraph';
import { buildMemberSchema } from '@union/member-subgraph';
import { buildPointsSchema } from '@union/points-subgraph';
import { composeSupergraph } from '@union/gateway';

/** Each subgraph's SDL, printed from its code, and the supergraph composed from them. */
export async function produceSchemas(): Promise<{ subgraphs: Record<string, string>; supergraph: string }> {
  const subgraphs = {
    member: (await buildMemberSchema()).sdl,
    benefit: (await buildBenefitSchema()).sdl,
    points: (await buildPointsSchema()).sdl,
    events: (await buildEventsSchema()).sdl,
  };
  return { subgraphs, supergraph: composeSupergraph(subgraphs) };
}

/** Repository's schema/ folder, from scripts/src (tests) and scripts/dist (compiled) alike. */
export const schemaDir = join(__dirname, '..', '..', 'schema');

if (require.main === module) {
  produceSchemas()
    .then(({ subgraphs, supergraph }) => {
      for (const [name, sdl] of Object.entries(subgraphs)) writeFileSync(join(schemaDir, `${name}.graphql`), sdl);
      writeFileSync(join(schemaDir, 'supergraph.graphql'), supergraph);
      console.log(`wrote schema/{${Object.keys(subgraphs).join(',')}}.graphql and schema/supergraph.graphql`);
    })
    .catch((error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    });
}
