import { ResponseParseError } from './h1-errors.ts';
import { ForwardLines } from './h1-forward-lines.ts';
import { eachToken, keepAliveTimeoutMs, knownName, parseLength, tokenCase, valueKind } from './h1-header-fields.ts';
import { isHopByHop } from './hop-by-hop.ts';

// The field lines of one response head (or trailer section), parsed from its latin1 text into a headers object
// shaped like node:http's (lower-case names, repeats as arrays, set-cookie always an array), and the framing
// facts the parser decides on: Content-Length, Transfer-Encoding, Connection tokens, the Keep-Alive hint. The
// lines a proxy forwards are noted on the way (ForwardLines), as the name and value strings made here.

export type Fields = Record<string, string | string[]>;

const CR = 13;

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

export class FieldLines {
  contentLength = -1;
  te: string | undefined = undefined;
  connClose = false;
  connKeepAlive = false;
  /** Keep-Alive: timeout=N in ms, -1 when none. */
  keepAliveMs = -1;
  error: ResponseParseError | undefined = undefined;
  /** The head's forwardable lines (heads only, not trailers). */
  readonly forward = new ForwardLines();
  /** The line being parsed is not forwarded although it is end-to-end (a repeated Content-Length, __proto__). */
  private dropLine = false;

  reset(): void {
    this.contentLength = -1;
    this.te = undefined;
    this.connClose = false;
    this.connKeepAlive = false;
    this.keepAliveMs = -1;
    this.error = undefined;
  }

  /**
   * Parses the lines of `s` from `p` to its final empty line (s[0, end) ends with the block's CRLFCRLF) into
   * `h`. Trailer fields are taken as they are, never as framing. False, with `error` set, on a bad line.
   */
  parse(s: string, p: number, end: number, h: Fields, trailer: boolean): boolean {
    if (!trailer) this.forward.reset();
    for (;;) {
      // The block ends with its first CRLFCRLF: a line starting with CR must be that final empty line.
      if (s.charCodeAt(p) === CR) {
        if (p + 2 !== end) return this.fail('HPE_INVALID_HEADER_TOKEN', 'bare CR');
        this.forward.contentLength = this.contentLength;
        return true;
      }
      // A colon found past this line's end makes a "name" holding CRLF, which fails as a token.
      const colon = s.indexOf(':', p);
      let name = colon < 0 ? undefined : knownName(s, p, colon);
      if (name === undefined) {
        const kind = colon < 0 ? -1 : tokenCase(s, p, colon);
        if (kind < 0) {
          const c = s.charCodeAt(p);
          return this.fail('HPE_INVALID_HEADER_TOKEN', c === 32 || c === 9 ? 'obs-fold line' : 'bad header name');
        }
        name = kind === 0 ? s.slice(p, colon) : s.slice(p, colon).toLowerCase();
      }
      const eol = s.indexOf('\r\n', colon);
      let a = colon + 1;
      let b = eol;
      while (a < b && isOws(s.charCodeAt(a))) a++;
      while (b > a && isOws(s.charCodeAt(b - 1))) b--;
      if (valueKind(s, a, b) < 0) return this.fail('HPE_INVALID_HEADER_TOKEN', `bad byte in the value of ${name}`);
      this.dropLine = false;
      const value = s.slice(a, b);
      if (!this.field(h, name, value, trailer)) return false;
      if (!trailer && !this.dropLine && !isHopByHop(name)) this.forward.add(name, value, name === 'date');
      p = eol + 2;
    }
  }

  private fail(code: string, message: string): false {
    this.error = new ResponseParseError(code, message);
    return false;
  }

  private field(h: Fields, name: string, value: string, trailer: boolean): boolean {
    if (name === 'set-cookie') {
      const prev = h[name] as string[] | undefined;
      if (prev === undefined) h[name] = [value];
      else prev.push(value);
      return true;
    }
    if (!trailer) {
      if (name === 'content-length') {
        const n = parseLength(value);
        if (n < 0) return this.fail('HPE_INVALID_CONTENT_LENGTH', 'bad Content-Length');
        if (this.contentLength >= 0) {
          // An identical repeat is forwarded once; a different one leaves two framings to choose from.
          this.dropLine = true;
          return n === this.contentLength || this.fail('HPE_INVALID_CONTENT_LENGTH', 'differing Content-Length');
        }
        this.contentLength = n;
      } else if (name === 'transfer-encoding') this.te = this.te === undefined ? value : `${this.te}, ${value}`;
      else if (name === 'connection') this.connection(value);
      else if (name === 'keep-alive') {
        const ms = keepAliveTimeoutMs(value);
        if (ms >= 0 && (this.keepAliveMs < 0 || ms < this.keepAliveMs)) this.keepAliveMs = ms;
      }
    }
    const prev = h[name];
    if (prev === undefined) h[name] = value;
    else if (!Object.hasOwn(h, name)) {
      // A name shared with Object.prototype (constructor, toString…); "__proto__" cannot be a key and is dropped.
      if (name !== '__proto__') h[name] = value;
      else this.dropLine = true;
    } else if (typeof prev === 'string') h[name] = [prev, value];
    else prev.push(value);
    return true;
  }

  private connection(v: string): void {
    if (v === 'keep-alive') this.connKeepAlive = true;
    else if (v === 'close') this.connClose = true;
    else
      eachToken(v, (t) => {
        if (t === 'close') this.connClose = true;
        else if (t === 'keep-alive') this.connKeepAlive = true;
        else this.forward.unusable = true;
      });
  }
}
