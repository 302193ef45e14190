// Client addresses in decision records: an IPv4 address written the canonical way (four decimal numbers
// 0–255, no leading zeros) becomes one uint32 and comes back as the same text; its /24 prefix in the form
// identity writes ("a.b.c.0/24") is then implied. Anything else (IPv6, odd forms) stays a string.

/** The address as a uint32 when its text is canonical IPv4, else -1. Reads characters, allocates nothing. */
export function ipv4Word(ip: string): number {
  const n = ip.length;
  if (n < 7 || n > 15) return -1;
  let word = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      word = word * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return word * 256 + part;
}

export function ipv4Text(word: number): string {
  return `${Math.floor(word / 16777216)}.${Math.floor(word / 65536) % 256}.${Math.floor(word / 256) % 256}.${word % 256}`;
}

/** True when prefix is exactly ip's first three numbers followed by ".0/24" (ip canonical IPv4). */
export function isOwnSlash24(prefix: string, ip: string): boolean {
  const lastDot = ip.lastIndexOf('.');
  if (prefix.length !== lastDot + 5) return false;
  for (let i = 0; i <= lastDot; i++) if (prefix.charCodeAt(i) !== ip.charCodeAt(i)) return false;
  return prefix.endsWith('0/24');
}

export function slash24Of(ip: string): string {
  return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`;
}
