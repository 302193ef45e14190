import { configJsonSchema } from './json-schema.ts';

// docs/configuration.md, rendered from the configuration's JSON Schema (what `rempart schema` prints), so the
// reference cannot drift from what the loader accepts. One section per top-level key, in the schema's order;
// one table per object (its direct keys); objects nested deeper than a section's sub-objects are listed in
// their parent's table with dotted keys. The output is already in Biome's Markdown format (padded tables),
// so `biome check` passes on the file as written. scripts/config-reference.ts writes it; a test compares.

/** The subset of JSON Schema (draft 2020-12) that zod's toJSONSchema emits for this configuration. */
export interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly title?: string;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | SchemaNode;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly format?: string;
}

/** The file the reference is written to, relative to the repository root. */
export const REFERENCE_PATH = 'docs/configuration.md';

const HEADERS = ['Path', 'Type', 'Default', 'Constraints and description'] as const;

/** zod writes this bound on every safe integer; it says nothing to an operator. */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

function isObject(n: SchemaNode | undefined): n is SchemaNode & { properties: Record<string, SchemaNode> } {
  return n !== undefined && n.properties !== undefined;
}

function isObjectList(n: SchemaNode): boolean {
  return n.type === 'array' && isObject(n.items);
}

/** A code span that survives backticks inside the value and pipes inside a table cell. */
function code(text: string): string {
  let fence = '`';
  while (text.includes(fence)) fence += '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Table cells: pipes must be escaped (also inside code spans, per GFM), line breaks flattened. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}

function json(v: unknown): string {
  return JSON.stringify(v);
}

function typeOf(n: SchemaNode): string {
  if (n.anyOf !== undefined) {
    const kinds = [...new Set(n.anyOf.map(typeOf))];
    return kinds.join(' or ');
  }
  if (n.type === 'array') {
    if (n.items === undefined) return 'list';
    if (isObject(n.items)) return 'list of objects';
    return `list of ${typeOf(n.items)}`;
  }
  if (Array.isArray(n.type)) return n.type.join(' or ');
  if (typeof n.type === 'string') return n.type;
  if (n.enum !== undefined) return [...new Set(n.enum.map((v) => typeof v))].join(' or ');
  if (n.const !== undefined) return typeof n.const;
  return 'any';
}

function bounds(n: SchemaNode): string[] {
  const out: string[] = [];
  const integer = n.type === 'integer';
  if (n.minimum !== undefined) out.push(`≥ ${n.minimum}`);
  if (n.exclusiveMinimum !== undefined) {
    // For integers "> 0" is "≥ 1", which is how operators think of a count.
    out.push(
      integer && Number.isInteger(n.exclusiveMinimum) ? `≥ ${n.exclusiveMinimum + 1}` : `> ${n.exclusiveMinimum}`,
    );
  }
  if (n.maximum !== undefined && n.maximum !== NO_BOUND) out.push(`≤ ${n.maximum}`);
  if (n.exclusiveMaximum !== undefined) {
    out.push(
      integer && Number.isInteger(n.exclusiveMaximum) ? `≤ ${n.exclusiveMaximum - 1}` : `< ${n.exclusiveMaximum}`,
    );
  }
  return out;
}

/** What a value must be, in words: enum, bounds, lengths, pattern, format, then the schema's description. */
function valueRules(n: SchemaNode): string[] {
  const out: string[] = [];
  if (n.anyOf !== undefined) {
    const alternatives = n.anyOf.map((a) => valueRules(a).join(', ')).filter((s) => s !== '');
    if (alternatives.length > 0) out.push(alternatives.join(', or '));
  }
  if (n.enum !== undefined) out.push(`one of ${n.enum.map((v) => code(String(v))).join(', ')}`);
  if (n.const !== undefined) out.push(`exactly ${code(json(n.const))}`);
  out.push(...bounds(n));
  if (n.minLength === 1) out.push('not empty');
  else if (n.minLength !== undefined && n.minLength > 1) out.push(`at least ${n.minLength} characters`);
  if (n.maxLength !== undefined) out.push(`at most ${n.maxLength} characters`);
  if (n.minItems !== undefined && n.minItems > 0) out.push(`at least ${n.minItems} item${n.minItems === 1 ? '' : 's'}`);
  if (n.maxItems !== undefined) out.push(`at most ${n.maxItems} items`);
  if (n.pattern !== undefined) out.push(`matches ${code(n.pattern)}`);
  if (n.format === 'uri') out.push('a URL');
  else if (n.format !== undefined && n.pattern === undefined) out.push(`format ${n.format}`);
  if (n.type === 'array' && n.items !== undefined && !isObject(n.items)) {
    const each = valueRules(n.items);
    if (each.length > 0) out.push(`each item: ${each.join(', ')}`);
  }
  if (n.description !== undefined) out.push(n.description);
  return out;
}

interface Row {
  readonly path: string;
  readonly node: SchemaNode;
  readonly required: boolean;
  /** The object (or list of objects) whose keys are in a table of their own. */
  readonly tableOf?: string;
}

function rowCells(r: Row): string[] {
  const rules: string[] = [];
  if (r.required) rules.push('required');
  if (r.tableOf !== undefined) {
    rules.push(`keys in the ${code(r.tableOf)} table below`);
    if (r.node.description !== undefined) rules.push(r.node.description);
  } else rules.push(...valueRules(r.node));
  const def = r.node.default === undefined ? '' : code(json(r.node.default));
  return [code(r.path), typeOf(r.node), def, rules.join('; ')].map(cell);
}

function width(s: string): number {
  return [...s].length;
}

/** A table as Biome formats it: every column padded to its widest cell, dashes at least three wide. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(3, width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

interface Table {
  readonly path: string;
  readonly rows: Row[];
}

/**
 * The table of one object, followed by the tables of its sub-objects. `depth` 0 is a section's object (or the
 * item of a list of objects): its object keys get tables of their own; deeper objects are inlined as dotted rows.
 */
function objectTables(path: string, n: SchemaNode, depth: number, out: Table[]): void {
  const table: Table = { path, rows: [] };
  out.push(table);
  const later: (() => void)[] = [];
  const walk = (prefix: string, obj: SchemaNode, inline: boolean) => {
    const required = new Set(obj.required ?? []);
    for (const [key, child] of Object.entries(obj.properties ?? {})) {
      const p = `${prefix}.${key}`;
      const req = required.has(key);
      if (isObjectList(child)) {
        table.rows.push({ path: p, node: child, required: req, tableOf: `${p}[]` });
        later.push(() => objectTables(`${p}[]`, child.items as SchemaNode, 0, out));
      } else if (isObject(child) && depth === 0 && !inline) {
        table.rows.push({ path: p, node: child, required: req, tableOf: p });
        later.push(() => objectTables(p, child, 1, out));
      } else if (isObject(child)) {
        table.rows.push({ path: p, node: { ...child, properties: undefined }, required: req });
        walk(p, child, true);
      } else table.rows.push({ path: p, node: child, required: req });
    }
  };
  walk(path, n, false);
  for (const f of later) f();
}

function everyObjectStrict(n: SchemaNode): boolean {
  if (isObject(n) && n.additionalProperties !== false) return false;
  const children = [...Object.values(n.properties ?? {}), ...(n.items ? [n.items] : []), ...(n.anyOf ?? [])];
  return children.every(everyObjectStrict);
}

function sectionSummary(n: SchemaNode, required: boolean): string {
  const parts: string[] = [];
  if (isObjectList(n)) parts.push('A list of objects');
  else parts.push('An object');
  if (required) parts.push('required');
  else if (n.default !== undefined) parts.push(`default ${code(json(n.default))}`);
  else parts.push('optional, absent unless written');
  const rules = valueRules({ ...n, items: undefined, description: undefined, properties: undefined });
  parts.push(...rules);
  const desc = n.description === undefined ? '' : ` ${n.description}`;
  return `${parts.join('; ')}.${desc}${isObjectList(n) ? ' Keys of each item:' : ''}`;
}

function renderTable(t: Table, heading: boolean): string {
  const body = markdownTable(HEADERS, t.rows.map(rowCells));
  return heading ? `### ${code(t.path)}\n\n${body}` : body;
}

function renderSection(key: string, n: SchemaNode, required: boolean): string {
  const parts = [`## ${code(key)}`];
  if (isObject(n) || isObjectList(n)) {
    parts.push(sectionSummary(n, required));
    const tables: Table[] = [];
    objectTables(isObjectList(n) ? `${key}[]` : key, isObjectList(n) ? (n.items as SchemaNode) : n, 0, tables);
    tables.forEach((t, i) => {
      parts.push(renderTable(t, i > 0));
    });
  } else {
    parts.push(renderTable({ path: key, rows: [{ path: key, node: n, required }] }, false));
  }
  return parts.join('\n\n');
}

/** docs/configuration.md as a string: deterministic, LF line endings, one final newline. */
export function renderConfigReference(schema: SchemaNode = configJsonSchema() as SchemaNode): string {
  const keys = Object.keys(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const intro = [
    `# ${schema.title ?? 'Configuration'} reference`,
    'Generated from the JSON Schema of the configuration (what `rempart schema` prints) by `npm run docs:config`. ' +
      'Do not edit it by hand: change the zod schema (`packages/rempart/src/config/schema.ts` and the section ' +
      'schemas it imports) and run the script again; a test fails while the two disagree.',
    'The configuration is one YAML file, passed as `rempart serve --config FILE`; `rempart check-config FILE` ' +
      'validates it and reports each problem as `file:line:col`. A string value written `env:NAME` is read from ' +
      'the environment variable `NAME` at load (use it for the admin token and secrets). ' +
      (everyObjectStrict(schema) ? 'Unknown keys are errors, at every level. ' : '') +
      'In the tables, `a.b` is key `b` of object `a`, `a[]` is each item of the list `a`, and a key marked neither ' +
      '"required" nor with a default may be left out.',
    `Sections: ${keys.map((k) => `[${code(k)}](#${k.toLowerCase().replace(/[^a-z0-9_-]/g, '')})`).join(', ')}.`,
  ];
  const sections = keys.map((k) =>
    renderSection(k, (schema.properties as Record<string, SchemaNode>)[k], required.has(k)),
  );
  return `${[...intro, ...sections].join('\n\n')}\n`;
}
