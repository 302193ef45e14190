// The path template of a request: random parts abstracted so that one program hitting
// /recherche?q=<random> or /suivi/<random id> is one template, not a million. No regex on the hot path:
// one pass over the characters of each segment.

const MAX_SEGMENTS = 8;
const MAX_QUERY_NAMES = 8;

/** Kinds of a path segment or query-name that look generated rather than written by a person. */
function classify(s: string, from: number, to: number): string | undefined {
  const len = to - from;
  if (len === 0) return undefined;
  let digits = 0;
  let letters = 0;
  let hex = 0;
  let vowels = 0;
  let run = 0;
  let maxRun = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 0x20; // lower-case ASCII letters; digits and punctuation are unaffected enough
    if (c >= 48 && c <= 57) {
      digits++;
      hex++;
      run = 0;
    } else if (c >= 97 && c <= 122) {
      letters++;
      if (c <= 102) hex++;
      if (c === 97 || c === 101 || c === 105 || c === 111 || c === 117 || c === 121) {
        vowels++;
        run = 0;
      } else if (++run > maxRun) maxRun = run;
    }
  }
  if (digits === len) return ':n';
  if (len >= 8 && hex === len) return ':h';
  if (len >= 6 && digits > 0 && letters > 0) return ':t';
  // Letters only: long, or a consonant run no French/English word has ("xkqpzt").
  if (letters === len && (len >= 20 || (len >= 5 && (maxRun >= 5 || vowels === 0)))) return ':t';
  if (len >= 32) return ':t';
  return undefined;
}

/** "/suivi/6A1234567890/etat" + "lang=fr&q=x9k2" → "/suivi/:t/etat?lang&q". Values are always dropped. */
export function pathTemplate(path: string, query: string): string {
  let out = '';
  let segments = 0;
  let start = path.charCodeAt(0) === 47 ? 1 : 0;
  for (let i = start; i <= path.length; i++) {
    if (i === path.length || path.charCodeAt(i) === 47) {
      if (segments === MAX_SEGMENTS) {
        out += '/…';
        break;
      }
      const kind = classify(path, start, i);
      out += '/' + (kind ?? path.slice(start, i));
      segments++;
      start = i + 1;
    }
  }
  if (out === '') out = '/';
  if (query.length === 0) return out;
  const names: string[] = [];
  let from = 0;
  for (let i = 0; i <= query.length && names.length < MAX_QUERY_NAMES; i++) {
    if (i === query.length || query.charCodeAt(i) === 38 /* & */) {
      let eq = query.indexOf('=', from);
      if (eq < 0 || eq > i) eq = i;
      if (eq > from) {
        const kind = classify(query, from, eq);
        const name = kind === undefined ? query.slice(from, eq) : '*';
        if (!names.includes(name)) names.push(name);
      }
      from = i + 1;
    }
  }
  if (names.length === 0) return out;
  names.sort();
  return out + '?' + names.join('&');
}
