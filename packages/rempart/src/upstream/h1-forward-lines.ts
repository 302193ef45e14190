// The field lines of a final response head as an HTTP/1.1 proxy sends them on: every line of the origin's head
// except the hop-by-hop ones, as "name: value\r\n" with the name lower-cased, in the origin's order. The parser
// hands over each line's name and value as it checks them (the strings it makes for the headers object anyway),
// and they are joined on demand into one string: the gateway's HTTP/1.1 client response then copies that text
// instead of building a headers object and serialising it again.

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

export class ForwardLines implements ForwardHead {
  fields = '';
  contentLength = -1;
  hasDate = false;
  /** The origin's Connection header names other fields: those drops are left to the headers object path. */
  unusable = false;
  /** Lower-cased names and values of the lines to forward; reused from head to head, `count` in use. */
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private count = 0;

  reset(): void {
    this.fields = '';
    this.contentLength = -1;
    this.hasDate = false;
    this.unusable = false;
    this.count = 0;
  }

  /** One line to forward: its lower-cased name and its value, both already checked by the parser. */
  add(name: string, value: string, isDate: boolean): void {
    this.names[this.count] = name;
    this.values[this.count] = value;
    this.count++;
    if (isDate) this.hasDate = true;
  }

  /**
   * The lines as one string (this.fields), or undefined when they cannot be forwarded as they are. Joined by
   * concatenation: a few short pieces, flattened once when the response head is written (a byte loop over the
   * head's characters cost ~4,800 instructions per response, one of the three largest steps of the clean path).
   */
  render(): ForwardHead | undefined {
    if (this.unusable) return undefined;
    let f = '';
    for (let k = 0; k < this.count; k++) f += `${this.names[k]}: ${this.values[k]}\r\n`;
    this.fields = f;
    return this;
  }
}
