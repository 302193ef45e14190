import type { KeyPart } from '../../config/schema.ts';
import { requestShape } from '../../detect/facts.ts';
import { FNV_OFFSET, fmix32, fnvStep, hex8 } from '../../detect/hash.ts';
import type { RequestCtx } from '../types.ts';

// Rule keys are compiled once per rule into an array of part readers; the hot path only calls them and
// concatenates. A part that is absent from the request (no such header, cookie, field) makes the rule not
// apply to this request: other rules (per ip, per prefix) still cover it.

export type PartReader = (ctx: RequestCtx) => string | undefined;

/** Values longer than this are replaced by a hash so an attacker cannot make state keys big. */
const MAX_VALUE = 64;
/** Unit separator: cannot appear in header values Node accepts, so parts cannot run into each other. */
const SEP = '\x1f';

export function boundValue(v: string): string {
  if (v.length <= MAX_VALUE) return v;
  return `#${hex8(fmix32(fnvStep(FNV_OFFSET, v)))}:${v.length}`;
}

function decodeParam(raw: string): string {
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/** Value of `name` in "a=1&b=2" (first occurrence), decoded; undefined when absent. */
export function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  let i = 0;
  while (i <= query.length) {
    let end = query.indexOf('&', i);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', i);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (keyEnd - i === name.length && query.startsWith(name, i)) {
      return keyEnd === end ? '' : decodeParam(query.slice(keyEnd + 1, end));
    }
    i = end + 1;
  }
  return undefined;
}

/** Value of cookie `name` in a Cookie header; undefined when absent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let i = 0;
  while (i < header.length) {
    while (header.charCodeAt(i) === 32) i++;
    let end = header.indexOf(';', i);
    if (end < 0) end = header.length;
    if (header.startsWith(name, i) && header.charCodeAt(i + name.length) === 61 /* = */) {
      return header.slice(i + name.length + 1, end).trim();
    }
    i = end + 1;
  }
  return undefined;
}

function headerValue(ctx: RequestCtx, name: string): string | undefined {
  const v = ctx.headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

const BUILTIN: Readonly<Record<string, PartReader>> = {
  ip: (ctx) => ctx.client?.ip ?? ctx.peerIp,
  prefix: (ctx) => ctx.client?.prefix ?? ctx.peerIp,
  route: (ctx) => ctx.route?.name ?? '-',
  method: (ctx) => ctx.method,
  path: (ctx) => ctx.path,
  fingerprint: (ctx) => requestShape(ctx).fingerprint,
};

export function compilePart(part: KeyPart): PartReader {
  const builtin = BUILTIN[part];
  if (builtin !== undefined) return builtin;
  const colon = part.indexOf(':');
  const kind = part.slice(0, colon);
  const name = part.slice(colon + 1);
  switch (kind) {
    case 'header': {
      const lower = name.toLowerCase();
      return (ctx) => headerValue(ctx, lower);
    }
    case 'cookie':
      return (ctx) => cookieValue(ctx.headers.cookie, name);
    case 'query':
      return (ctx) => queryParam(ctx.query, name);
    case 'form':
      return (ctx) => ctx.form?.[name];
  }
  throw new Error(`unknown key part "${part}"`);
}

export type KeyBuilder = (ctx: RequestCtx) => string | undefined;

/** `prefix` + the parts' values joined; undefined when a part is absent. */
export function compileKey(prefix: string, parts: readonly KeyPart[]): KeyBuilder {
  const readers = parts.map(compilePart);
  if (readers.length === 1) {
    const r = readers[0];
    return (ctx) => {
      const v = r(ctx);
      return v === undefined ? undefined : prefix + boundValue(v);
    };
  }
  return (ctx) => {
    let k = prefix;
    for (let i = 0; i < readers.length; i++) {
      const v = readers[i](ctx);
      if (v === undefined) return undefined;
      k += i === 0 ? boundValue(v) : SEP + boundValue(v);
    }
    return k;
  };
}

export function readsForm(parts: readonly KeyPart[]): boolean {
  return parts.some((p) => p.startsWith('form:'));
}
