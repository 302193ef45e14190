import { STATUS_CODES } from 'node:http';

// Status lines are prebuilt for every status Node knows; dates are formatted once per second. Both run on every
// response of the cleartext listener.

const LINES: string[] = [];
for (const code in STATUS_CODES) LINES[Number(code)] = `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\n`;

/** "HTTP/1.1 429 Too Many Requests\r\n"; a custom reason phrase is used when given (and clean). */
export function statusLine(status: number, reason: string): string {
  if (reason === '') {
    const line = LINES[status];
    if (line !== undefined) return line;
  } else if (/^[\t\x20-\x7e\x80-\xff]*$/.test(reason)) return `HTTP/1.1 ${status} ${reason}\r\n`;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
}

let dateSecond = -1;
let dateText = '';

/** IMF-fixdate of now, as the Date header wants it; recomputed at most once per second. */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
