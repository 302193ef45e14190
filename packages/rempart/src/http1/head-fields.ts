import type { OutgoingHttpHeaders } from 'node:http';

// Header fields the gateway writes from objects (writeHead, trailers, early hints), checked against response
// splitting as they are rendered: names are tokens without ':', values hold no CR, LF, NUL or other control.
// An origin's field lines forwarded whole (writeHeadRaw) were checked by the upstream parser and skip this.

export class InvalidHeaderError extends Error {
  readonly code = 'ERR_INVALID_CHAR';
}

export const INVALID = -1;
const ASCII = 0;
const LATIN1 = 1;

/** INVALID, or whether the value is plain ASCII (ASCII) or holds obs-text (LATIN1). */
export function headerKind(name: string, value: string): number {
  if (name.length === 0) return INVALID;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 58 /* : */) return INVALID;
  }
  let kind = ASCII;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127 || c > 255) return INVALID;
    if (c > 127) kind = LATIN1;
  }
  return kind;
}

/** "name: value\r\n" for each value of each header; throws InvalidHeaderError naming `what` and the header. */
export function checkedLines(headers: Record<string, string | string[]>, what: string): string {
  let out = '';
  for (const name in headers) {
    const v = headers[name];
    for (const one of Array.isArray(v) ? v : [v]) {
      if (headerKind(name, one) === INVALID) throw new InvalidHeaderError(`invalid ${what} ${name}`);
      out += `${name}: ${one}\r\n`;
    }
  }
  return out;
}

/**
 * What a writeHead headers object says, rendered. One instance per thread, refilled by each call: the head is
 * built synchronously, so no object is made per response.
 */
export const rendered = {
  lines: '',
  /** Content-Length given, -1 when none. */
  length: -1,
  chunkedByCaller: false,
  hasDate: false,
  closeAsked: false,
  /** Every value is plain ASCII (a string body may then share the head's UTF-8 write). */
  ascii: true,
};

/** Fills `rendered` from a writeHead headers object (undefined: none given). */
export function renderGiven(h: OutgoingHttpHeaders | undefined): void {
  let lines = '';
  let length = -1;
  let chunkedByCaller = false;
  let hasDate = false;
  let closeAsked = false;
  let ascii = true;
  if (h !== undefined)
    for (const name in h) {
      const v = h[name];
      if (v === undefined) continue;
      const lower = name.length >= 4 && name.length <= 17 ? name.toLowerCase() : name;
      if (lower === 'content-length') length = Number(v);
      else if (lower === 'transfer-encoding') chunkedByCaller = String(v).toLowerCase().endsWith('chunked');
      else if (lower === 'date') hasDate = true;
      else if (lower === 'connection') closeAsked = String(v).toLowerCase().includes('close');
      if (Array.isArray(v)) {
        for (const one of v) {
          const kind = headerKind(name, one);
          if (kind === INVALID) throw new InvalidHeaderError(`invalid header ${name}`);
          if (kind === LATIN1) ascii = false;
          lines += `${name}: ${one}\r\n`;
        }
      } else {
        const s = typeof v === 'string' ? v : String(v);
        const kind = headerKind(name, s);
        if (kind === INVALID) throw new InvalidHeaderError(`invalid header ${name}`);
        if (kind === LATIN1) ascii = false;
        lines += `${name}: ${s}\r\n`;
      }
    }
  rendered.lines = lines;
  rendered.length = length;
  rendered.chunkedByCaller = chunkedByCaller;
  rendered.hasDate = hasDate;
  rendered.closeAsked = closeAsked;
  rendered.ascii = ascii;
}
