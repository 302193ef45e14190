import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { H1Request } from '../http1/request.ts';

// Form fields for rules that key on them (form:username for "distinct usernames tried per prefix"). Only
// routes whose rules read a form field buffer their bodies, and only up to a small cap (the body guard
// refuses larger ones with 413); the bytes read are forwarded unchanged.

/** Fields kept at most: a body of ten thousand tiny fields must not become ten thousand map entries. */
const MAX_FIELDS = 64;

export interface ReadForm {
  readonly fields: Record<string, string>;
  readonly body: Buffer;
}

function one(v: string | string[] | undefined): string {
  return v === undefined ? '' : typeof v === 'string' ? v : (v[0] ?? '');
}

/** Pure: the top-level fields of a urlencoded or JSON body; {} for other types or a body that does not parse. */
export function parseFormFields(contentType: string, body: Buffer): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  let n = 0;
  const type = contentType.toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
      if (n++ >= MAX_FIELDS) break;
      if (!(k in out)) out[k] = v;
    }
    return out;
  }
  if (type.startsWith('application/json') || type.includes('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return out;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
    for (const [k, v] of Object.entries(value)) {
      if (n++ >= MAX_FIELDS) break;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    }
  }
  return out;
}

/**
 * Reads the whole body (at most maxBytes; the body guard enforces the cap and the minimum rate) and parses its
 * fields. Undefined when the client went away or the body broke: someone else has answered or will.
 */
export function readForm(
  req: IncomingMessage | Http2ServerRequest | H1Request,
  maxBytes: number,
): Promise<ReadForm | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: ReadForm | undefined) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.pause();
        finish(undefined);
        return;
      }
      parts.push(c);
    });
    req.once('end', () => {
      const body = Buffer.concat(parts, size);
      finish({ fields: parseFormFields(one(req.headers['content-type']), body), body });
    });
    req.once('error', () => finish(undefined));
    req.once('close', () => finish(undefined));
  });
}
