import { z } from 'zod';
import { configSchema } from './schema.ts';

/** The JSON Schema of what operators write (input side: defaults are optional). */
export function configJsonSchema(): object {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'Rempart gateway configuration',
  };
}
