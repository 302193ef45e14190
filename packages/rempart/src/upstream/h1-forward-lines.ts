// The field lines of a final response head as an HTTP/1.1 proxy sends them on: every line of the origin's head
// except the hop-by-hop ones, as "name: value\r\n" with the name lower-cased, in the origin's order. Recorded as
// offsets while the parser checks each line, rendered on demand into one string: the gateway's HTTP/1.1 client
// response then copies that text instead of building a headers object and serialising it again.

/** A final head ready to be forwarded; valid during the handler's onResponseStart only (the parser reuses it). */
export interface ForwardHead {
  /** Field lines as described above. Checked by the response parser: names are tokens, values hold no CR, LF or NUL. */
  readonly fields: string;
  /** The origin's Content-Length (its line is among `fields`), -1 when none. */
  readonly contentLength: number;
  /** A Date line is among `fields`. */
  readonly hasDate: boolean;
}

/** Handlers read the head from their controller when it offers it (H1Pool's requests do). */
export interface ForwardHeadSource {
  forwardHead(): ForwardHead | undefined;
}

const SLOTS = 4; // name start, name end, value start, value end

let scratch = Buffer.allocUnsafe(4096);

export class ForwardLines implements ForwardHead {
  fields = '';
  contentLength = -1;
  hasDate = false;
  /** The origin's Connection header names other fields: those drops are left to the headers object path. */
  unusable = false;
  private source = '';
  private spans = new Int32Array(32 * SLOTS);
  private count = 0;
  private bytes = 0;

  reset(source: string): void {
    this.source = source;
    this.fields = '';
    this.contentLength = -1;
    this.hasDate = false;
    this.unusable = false;
    this.count = 0;
    this.bytes = 0;
  }

  /** One line to forward: name source[ns, ne), value source[vs, ve). */
  add(ns: number, ne: number, vs: number, ve: number, isDate: boolean): void {
    let at = this.count * SLOTS;
    if (at === this.spans.length) {
      const grown = new Int32Array(this.spans.length * 2);
      grown.set(this.spans);
      this.spans = grown;
    }
    const sp = this.spans;
    sp[at++] = ns;
    sp[at++] = ne;
    sp[at++] = vs;
    sp[at] = ve;
    this.count++;
    this.bytes += ne - ns + ve - vs + 4;
    if (isDate) this.hasDate = true;
  }

  /** The lines as one string (this.fields), or undefined when they cannot be forwarded as they are. */
  render(): ForwardHead | undefined {
    if (this.unusable) return undefined;
    if (scratch.length < this.bytes) scratch = Buffer.allocUnsafe(Math.max(this.bytes, scratch.length * 2));
    const b = scratch;
    const s = this.source;
    const sp = this.spans;
    let at = 0;
    for (let k = 0; k < this.count * SLOTS; k += SLOTS) {
      for (let i = sp[k]; i < sp[k + 1]; i++) {
        const c = s.charCodeAt(i);
        b[at++] = c >= 65 && c <= 90 ? c | 32 : c;
      }
      b[at++] = 58;
      b[at++] = 32;
      for (let i = sp[k + 2]; i < sp[k + 3]; i++) b[at++] = s.charCodeAt(i);
      b[at++] = 13;
      b[at++] = 10;
    }
    this.fields = b.toString('latin1', 0, at);
    return this;
  }
}
