import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { RempartError } from '../core/errors.ts';
import { parseCidr } from '../core/ip-prefix.ts';
import { cacheConfigProblems } from '../pipeline/cache/config.ts';
import { type Config, configSchema } from './schema.ts';

// YAML → validated Config, with every problem reported as file:line:col so an operator can fix the file at once.
// Nothing here runs on the request path.

export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends RempartError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super('REMPART_CONFIG_INVALID', problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

type PathKey = string | number;

/**
 * Finds the YAML node at a path, falling back to the nearest existing parent (a missing key points at its map).
 * With `keyNode`, the last step returns the key itself (for "unknown key" problems).
 */
function nodeAt(root: Node | null, path: readonly PathKey[], keyNode = false): Node | null {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) return node;
      if (keyNode && i === path.length - 1) return pair.key as Node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof key === 'number') {
      const next = node.items[key] as Node | undefined;
      if (!next) return node;
      node = next;
    } else return node;
  }
  return node;
}

function pathText(path: readonly PathKey[]): string {
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : s ? `.${k}` : k;
  return s;
}

/** Resolves "env:NAME" values for secrets so tokens never need to live in the file; notes where one is unset. */
function resolveEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  missing: { name: string; path: PathKey[] }[],
  path: PathKey[] = [],
): unknown {
  if (typeof value === 'string' && value.startsWith('env:')) {
    const name = value.slice(4);
    const v = env[name];
    if (v === undefined) missing.push({ name, path });
    return v ?? '';
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, env, missing, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnv(v, env, missing, [...path, k]);
    return out;
  }
  return value;
}

/** Headers the gateway itself reads or rewrites: they cannot carry an allow token (which is stripped). */
const RESERVED_TOKEN_HEADERS = new Set([
  'host',
  'cookie',
  'connection',
  'content-length',
  'content-type',
  'transfer-encoding',
  'x-forwarded-for',
  'x-forwarded-proto',
  'forwarded',
  'x-request-id',
  'via',
]);

/** Checks zod cannot express: cross references, CIDR syntax, regex compilation. */
function semanticIssues(c: Config): { path: PathKey[]; message: string }[] {
  const out: { path: PathKey[]; message: string }[] = [];
  const upstreams = new Set(c.upstreams.map((u) => u.name));
  const seen = new Set<string>();
  c.listeners.forEach((l, i) => {
    if (seen.has(l.name)) out.push({ path: ['listeners', i, 'name'], message: `duplicate listener name "${l.name}"` });
    seen.add(l.name);
    if (l.protocol === 'https' && !l.tls)
      out.push({ path: ['listeners', i], message: 'protocol https needs tls.cert and tls.key' });
    if (l.tls?.allow_client_certs === true && l.tls.client_ca === undefined)
      out.push({ path: ['listeners', i, 'tls', 'allow_client_certs'], message: 'allow_client_certs needs client_ca' });
    if (l.protocol !== 'https' && l.tls?.client_ca !== undefined)
      out.push({ path: ['listeners', i, 'tls', 'client_ca'], message: 'client_ca needs protocol https' });
  });
  const tokenNames = new Set<string>();
  const tokenKeys = new Map<string, number>();
  c.access.allow_tokens.forEach((t, i) => {
    if (tokenNames.has(t.name))
      out.push({ path: ['access', 'allow_tokens', i, 'name'], message: `duplicate token name "${t.name}"` });
    tokenNames.add(t.name);
    const header = t.header.toLowerCase();
    if (RESERVED_TOKEN_HEADERS.has(header))
      out.push({
        path: ['access', 'allow_tokens', i, 'header'],
        message: `"${header}" is read or rewritten by the gateway; use a header of its own (e.g. x-rempart-partner)`,
      });
    // Never the secret in a message: only which entries collide.
    const key = `${header}\n${t.token}`;
    const same = tokenKeys.get(key);
    if (same !== undefined)
      out.push({
        path: ['access', 'allow_tokens', i, 'token'],
        message: `same header and token as access.allow_tokens[${same}]`,
      });
    else tokenKeys.set(key, i);
  });
  c.routes.forEach((r, i) => {
    if (r.upstream && !upstreams.has(r.upstream)) {
      out.push({
        path: ['routes', i, 'upstream'],
        message: `unknown upstream "${r.upstream}" (known: ${[...upstreams].join(', ')})`,
      });
    }
    if (r.match.path_regex !== undefined) {
      try {
        new RegExp(r.match.path_regex);
      } catch (e) {
        out.push({
          path: ['routes', i, 'match', 'path_regex'],
          message: `invalid regular expression: ${(e as Error).message}`,
        });
      }
    }
  });
  const routeNames = new Set(c.routes.map((r) => r.name));
  for (const section of ['rate_limits', 'distinct_limits'] as const) {
    c[section].forEach((rule, i) => {
      rule.routes?.forEach((name, j) => {
        if (!routeNames.has(name)) out.push({ path: [section, i, 'routes', j], message: `unknown route "${name}"` });
      });
    });
  }
  const cidrLists: [PathKey[], string[]][] = [
    [['trusted_proxies'], c.trusted_proxies],
    [['access', 'allow'], c.access.allow],
    [['access', 'deny'], c.access.deny],
  ];
  for (const [base, list] of cidrLists) {
    list.forEach((block, i) => {
      try {
        parseCidr(block);
      } catch (e) {
        out.push({ path: [...base, i], message: (e as Error).message });
      }
    });
  }
  out.push(...cacheConfigProblems(c.cache, [...routeNames]));
  if (c.state.backend === 'redis' && !c.state.redis_url) {
    out.push({ path: ['state', 'redis_url'], message: 'backend redis needs redis_url' });
  }
  return out;
}

/** Parses and validates config text; throws ConfigError listing every problem with file:line:col. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lc.linePos(offset);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = at(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: '', message: e.message.split('\n')[0] };
      }),
    );
  }
  const problemAt = (path: PathKey[], message: string, keyNode = false): ConfigProblem => {
    const node = nodeAt(doc.contents as Node | null, path, keyNode);
    const pos = node?.range ? at(node.range[0]) : { line: 1, col: 1 };
    return { file, line: pos.line, col: pos.col, path: pathText(path), message };
  };
  const missing: { name: string; path: PathKey[] }[] = [];
  const raw = resolveEnv(doc.toJS() ?? {}, env, missing);
  const problems: ConfigProblem[] = [];
  const unset = new Set<string>();
  for (const m of missing) {
    problems.push(problemAt(m.path, `environment variable ${m.name} is not set`));
    unset.add(pathText(m.path));
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues as z.core.$ZodIssue[]) {
      // The value is empty because its variable is unset: that problem is already reported, once.
      if (unset.has(pathText(issue.path as PathKey[]))) continue;
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys)
          problems.push(problemAt([...(issue.path as PathKey[]), k], `unknown key "${k}"`, true));
      } else problems.push(problemAt(issue.path as PathKey[], issue.message));
    }
    throw new ConfigError(problems);
  }
  for (const s of semanticIssues(parsed.data)) problems.push(problemAt(s.path, s.message));
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RempartError(
      'REMPART_CONFIG_UNREADABLE',
      `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return parseConfig(text, file, env);
}
