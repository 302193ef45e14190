import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The shipped configs in deploy/baselines/ are templates: {{NAME}} placeholders filled per run.

export const BASELINE_DIR = fileURLToPath(new URL('../../../../deploy/baselines/', import.meta.url));

export function renderBaseline(file: string, values: Record<string, string | number>): string {
  const text = readFileSync(`${BASELINE_DIR}${file}`, 'utf8');
  return text.replace(/\{\{([A-Z]+)\}\}/g, (m, k: string) => {
    if (!(k in values)) throw new Error(`${file}: no value for ${m}`);
    return String(values[k]);
  });
}
