import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getNamedType, isInputObjectType, isObjectType } from 'graphql';
import { statedMaximum } from '@union/common';
import { supergraphSchema } from '../../gateway/src/supergraph';

/**
 * Issue 10, item 5: every String input states its maximum length, and every Int input (money,
 * counts) its upper bound, in its schema description: the gateway enforces what is written there.
 */
const schema = supergraphSchema(readFileSync(join(__dirname, '..', '..', 'schema', 'supergraph.graphql'), 'utf8'));

function inputsOf(kind: 'String' | 'Int'): Array<{ coordinate: string; description: string | null | undefined }> {
  const found: Array<{ coordinate: string; description: string | null | undefined }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        for (const arg of field.args)
          if (getNamedType(arg.type).name === kind) found.push({ coordinate: `${type.name}.${field.name}(${arg.name})`, description: arg.description });
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        if (getNamedType(field.type).name === kind) found.push({ coordinate: `${type.name}.${field.name}`, description: field.description });
    }
  }
  return found;
}

test('every String argument and input field says "At most N characters."', () => {
  const inputs = inputsOf('String');
  expect(inputs.length).toBeGreaterThan(20);
  expect(inputs.filter(({ description }) => statedMaximum(description, 'String') === null).map(({ coordinate }) => coordinate)).toEqual([]);
});

test('every Int argument and input field (money, counts, page sizes) states its upper bound', () => {
  const inputs = inputsOf('Int');
  expect(inputs.length).toBeGreaterThan(15);
  expect(inputs.filter(({ description }) => statedMaximum(description, 'Int') === null).map(({ coordinate }) => coordinate)).toEqual([]);
  // No money input takes the largest Int (2,147,483,647 fen).
  for (const { coordinate, description } of inputs) if (/Fen\b|Fen\)/.test(coordinate)) expect(statedMaximum(description, 'Int')).toBeLessThan(2_147_483_647);
});
