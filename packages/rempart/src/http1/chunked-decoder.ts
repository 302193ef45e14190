import { type HeadError, headError } from './request-head.ts';

// Incremental decoder of a chunked request body (RFC 9112 §7.1): sizes in hex (at most 13 digits, so they stay
// exact in a double), extensions bounded and skipped, data handed on as slices of the input (never copied),
// trailer fields bounded and dropped (the gateway does not forward request trailers). Any deviation is an error:
// a body whose end two parsers could place differently must not reach an origin.

const CR = 13;
const LF = 10;

/** Longest chunk extension accepted; longer ones get 413 (Node's parser has the same kind of cap). */
export const MAX_CHUNK_EXT = 1024;
/** Trailer section bound. */
export const MAX_TRAILER_BYTES = 8 * 1024;

export const CHUNK_ERRORS = {
  size: headError(400, 'invalid-chunk-size'),
  framing: headError(400, 'invalid-chunk-framing'),
  ext: headError(413, 'chunk-extension-too-long'),
  trailers: headError(431, 'trailers-too-large'),
} as const;

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

const S_SIZE = 0;
const S_EXT = 1;
const S_SIZE_LF = 2;
const S_DATA = 3;
const S_DATA_CR = 4;
const S_DATA_LF = 5;
const S_TRAILER_START = 6;
const S_TRAILER_LINE = 7;
const S_TRAILER_LF = 8;
const S_END_LF = 9;
const S_DONE = 10;

export interface BodySink {
  /** A piece of body data (a view into the socket's buffer). */
  onBody(chunk: Buffer): void;
}

export class ChunkedDecoder {
  private state = S_SIZE;
  private size = 0;
  private digits = 0;
  private ext = 0;
  private trailerBytes = 0;

  get done(): boolean {
    return this.state === S_DONE;
  }

  /**
   * Consumes bytes of buf[start, end); returns how many were part of the body (the rest belongs to the next
   * request) or an error. Data is handed to `sink` as it comes.
   */
  feed(buf: Buffer, start: number, end: number, sink: BodySink): number | HeadError {
    let i = start;
    while (i < end) {
      const c = buf[i];
      switch (this.state) {
        case S_SIZE: {
          const h = HEX[c];
          if (h >= 0) {
            if (++this.digits > 13) return CHUNK_ERRORS.size;
            this.size = this.size * 16 + h;
            i++;
            break;
          }
          if (this.digits === 0) return CHUNK_ERRORS.size;
          if (c === CR) this.state = S_SIZE_LF;
          else if (c === 59 /* ; */ || c === 32 || c === 9) this.state = S_EXT;
          else return CHUNK_ERRORS.size;
          i++;
          break;
        }
        case S_EXT:
          if (c === CR) this.state = S_SIZE_LF;
          else if ((c < 32 && c !== 9) || c === 127) return CHUNK_ERRORS.framing;
          else if (++this.ext > MAX_CHUNK_EXT) return CHUNK_ERRORS.ext;
          i++;
          break;
        case S_SIZE_LF:
          if (c !== LF) return CHUNK_ERRORS.framing;
          i++;
          this.ext = 0;
          this.digits = 0;
          this.state = this.size === 0 ? S_TRAILER_START : S_DATA;
          break;
        case S_DATA: {
          const take = Math.min(this.size, end - i);
          sink.onBody(buf.subarray(i, i + take));
          this.size -= take;
          i += take;
          if (this.size === 0) this.state = S_DATA_CR;
          break;
        }
        case S_DATA_CR:
          if (c !== CR) return CHUNK_ERRORS.framing;
          this.state = S_DATA_LF;
          i++;
          break;
        case S_DATA_LF:
          if (c !== LF) return CHUNK_ERRORS.framing;
          this.state = S_SIZE;
          i++;
          break;
        case S_TRAILER_START:
          if (c === CR) this.state = S_END_LF;
          else this.state = S_TRAILER_LINE;
          i++;
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return CHUNK_ERRORS.trailers;
          break;
        case S_TRAILER_LINE:
          if (c === CR) this.state = S_TRAILER_LF;
          else if ((c < 32 && c !== 9) || c === 127) return CHUNK_ERRORS.framing;
          i++;
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return CHUNK_ERRORS.trailers;
          break;
        case S_TRAILER_LF:
          if (c !== LF) return CHUNK_ERRORS.framing;
          this.state = S_TRAILER_START;
          i++;
          break;
        case S_END_LF:
          if (c !== LF) return CHUNK_ERRORS.framing;
          this.state = S_DONE;
          return i + 1 - start;
        default:
          return i - start;
      }
    }
    return i - start;
  }
}
