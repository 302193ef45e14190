import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { H1Response } from '../http1/response.ts';
import type { RequestCtx, Verdict } from './types.ts';

// The only writer of gateway-made responses: verdict → status, headers, a short bilingual body and the
// decision id. Bodies are prebuilt per status so the reject path does no formatting beyond the id.

/** A response of any listener: Node's HTTP/2 (and HTTP/1.1 over TLS) compat objects, or the cleartext engine's. */
export type AnyResponse = ServerResponse | Http2ServerResponse | H1Response;

export const DECISION_HEADER = 'x-rempart-decision';

const MESSAGES: Readonly<Record<number, readonly [fr: string, en: string]>> = {
  400: ['Requête invalide.', 'Bad request.'],
  403: ['Accès refusé.', 'Access denied.'],
  404: ['Service introuvable.', 'No such service.'],
  408: ['Délai dépassé : la requête est arrivée trop lentement.', 'Request timeout: the request arrived too slowly.'],
  413: ['Contenu trop volumineux.', 'Payload too large.'],
  414: ['Adresse trop longue.', 'URI too long.'],
  429: ['Trop de requêtes : merci de réessayer un peu plus tard.', 'Too many requests: please retry a little later.'],
  431: ['En-têtes trop volumineux.', 'Request headers too large.'],
  500: ['Erreur interne de la passerelle.', 'Internal gateway error.'],
  502: ['Le service ne répond pas correctement.', 'The service answered badly.'],
  503: [
    'Service momentanément surchargé : merci de réessayer dans quelques instants.',
    'Service temporarily overloaded: please retry in a few moments.',
  ],
  504: ['Le service a mis trop de temps à répondre.', 'The service took too long to answer.'],
};

export const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function messages(status: number): readonly [string, string] {
  return MESSAGES[status] ?? MESSAGES[500];
}

// Each body is its status's text up to the decision id, the id, then a tail: written once here, for both the
// header-object path (textBody, jsonBody) and the prebuilt-lines path (bodyPrefix).

function textHead(status: number): string {
  const [fr, en] = messages(status);
  return `${status} ${fr}\n${status} ${en}\nRéférence / Reference: `;
}

function jsonHead(status: number): string {
  const [fr, en] = messages(status);
  return `{"status":${status},"error":${JSON.stringify(en)},"message_fr":${JSON.stringify(fr)},"decision_id":"`;
}

/** What follows the id in a JSON body; `literal` makes the rule's JSON string (plain, or ASCII-only). */
function jsonTail(rule: string | undefined, retryAfterS: number | undefined, literal: (s: string) => string): string {
  let s = '"';
  if (rule !== undefined) s += `,"rule":${literal(rule)}`;
  if (retryAfterS !== undefined) s += `,"retry_after_s":${retryAfterS}`;
  return `${s}}`;
}

/** Plain-text body: French first (the service's language), English second, then the decision id. */
export function textBody(status: number, id: string): string {
  return `${textHead(status)}${id}\n`;
}

export function jsonBody(status: number, id: string, rule?: string, retryAfterS?: number): string {
  return `${jsonHead(status)}${id}${jsonTail(rule, retryAfterS, JSON.stringify)}`;
}

/** API clients (Accept: application/json without text/html) get JSON; everyone else a short text. */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.includes('json') && !accept.includes('text/html');
}

export interface ErrorOptions {
  rule?: string;
  retryAfterS?: number;
  /** Close the connection after this response (malformed or slow input). */
  close?: boolean;
  extraHeaders?: Record<string, string>;
}

/** Writes a gateway-made error response with its decision id. Safe to call once per response. */
export function writeError(
  res: AnyResponse,
  ctx: Pick<RequestCtx, 'id' | 'headers'>,
  status: number,
  o: ErrorOptions = {},
): void {
  if (res.headersSent) {
    // Too late for a status: cut the stream so the client sees a failure, never a truncated success.
    (res as ServerResponse).destroy?.();
    return;
  }
  const json = wantsJson(ctx.headers.accept);
  if ('writeHeadRaw' in res && o.extraHeaders === undefined && isPlainId(ctx.id)) {
    writeErrorLines(res, ctx.id, status, json, o);
    return;
  }
  const body = json ? jsonBody(status, ctx.id, o.rule, o.retryAfterS) : textBody(status, ctx.id);
  const headers: Record<string, string | number> = {
    'content-type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    [DECISION_HEADER]: ctx.id,
  };
  if (o.retryAfterS !== undefined) headers['retry-after'] = o.retryAfterS;
  if (o.extraHeaders) Object.assign(headers, o.extraHeaders);
  const h1 = 'shouldKeepAlive' in res;
  if (o.close && h1) headers.connection = 'close';
  (res as ServerResponse).writeHead(status, headers);
  res.end(body);
}

/**
 * The same answer as prebuilt field lines and a body whose bytes are the UTF-8 of the text, carried in a latin1
 * string (the French messages are not ASCII): on the cleartext engine, one buffer and one write, with no header
 * object to check character by character. Every value here is a constant, a number or a decision id.
 */
function writeErrorLines(res: H1Response, id: string, status: number, json: boolean, o: ErrorOptions): void {
  const prefix = bodyPrefix(status);
  const body = json ? `${prefix.json}${id}${jsonTail(o.rule, o.retryAfterS, asciiJson)}` : `${prefix.text}${id}\n`;
  let fields = `${json ? JSON_FIELDS : TEXT_FIELDS}${id}\r\n`;
  if (o.retryAfterS !== undefined) fields += `retry-after: ${o.retryAfterS}\r\n`;
  if (o.close) res.shouldKeepAlive = false; // the engine then says "connection: close" itself
  writeMade(res, status, fields, body);
}

const TEXT_FIELDS = `content-type: text/plain; charset=utf-8\r\ncache-control: no-store\r\n${DECISION_HEADER}: `;
const JSON_FIELDS = `content-type: application/json; charset=utf-8\r\ncache-control: no-store\r\n${DECISION_HEADER}: `;

/** Each status's bodies up to the decision id, as UTF-8 bytes in latin1 strings; made on first use. */
const PREFIXES = new Map<number, { text: string; json: string }>();

function bodyPrefix(status: number): { text: string; json: string } {
  let p = PREFIXES.get(status);
  if (p === undefined) {
    const utf8 = (t: string) => Buffer.from(t, 'utf8').toString('latin1');
    p = { text: utf8(textHead(status)), json: utf8(jsonHead(status)) };
    PREFIXES.set(status, p);
  }
  return p;
}

/** A decision id as this gateway makes them (letters and digits): safe in a field line and a JSON string. */
function isPlainId(id: string): boolean {
  if (id.length === 0 || id.length > 64) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return false;
  }
  return true;
}

/**
 * Writes an answer the gateway made itself (the challenge page, the JSON challenge, errors): `fields` are its field
 * lines, "name: value\r\n" each, without Content-Length, built from constants and values safe by construction
 * (signed tokens, decision ids, numbers), and `body` is a latin1 string: ASCII, or the UTF-8 bytes of a text.
 * The cleartext engine takes both as they are, one buffer and one write with no second check of each character;
 * other listeners get a header object.
 */
export function writeMade(res: AnyResponse, status: number, fields: string, body: string): void {
  const n = body.length;
  if ('writeHeadRaw' in res) res.writeHeadRaw(status, `${fields}content-length: ${n}\r\n`, n, false, undefined);
  else (res as ServerResponse).writeHead(status, fieldsObject(fields, n));
  res.end(body, 'latin1');
}

const NON_ASCII = /[^\x00-\x7f]/g;
const uEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON string literal in plain ASCII (non-ASCII characters as \\u escapes), for bodies written as latin1. */
export function asciiJson(s: string): string {
  return JSON.stringify(s).replace(NON_ASCII, uEscape);
}

function fieldsObject(fields: string, length: number): Record<string, string | number> {
  const headers: Record<string, string | number> = {};
  for (const line of fields.split('\r\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) headers[line.slice(0, colon)] = line.slice(colon + 2);
  }
  headers['content-length'] = length;
  return headers;
}

/** Adds the gateway's own cookie (ctx.setCookie) to an answer's headers, after any the origin set. */
export function addGatewayCookie(headers: OutgoingHttpHeaders, ctx: RequestCtx): OutgoingHttpHeaders {
  const c = ctx.setCookie;
  if (c === undefined) return headers;
  const had = headers['set-cookie'];
  headers['set-cookie'] = had === undefined ? c : Array.isArray(had) ? [...had, c] : [String(had), c];
  return headers;
}

export type ChallengeRenderer = (res: AnyResponse, ctx: RequestCtx, v: Extract<Verdict, { kind: 'challenge' }>) => void;

export interface Responder {
  /** Turns a non-pass verdict into the response. */
  verdict(res: AnyResponse, ctx: RequestCtx, v: Verdict): void;
}

export function createResponder(opts: { renderChallenge?: ChallengeRenderer } = {}): Responder {
  return {
    verdict(res, ctx, v) {
      switch (v.kind) {
        case 'pass':
          throw new Error('respond: a pass verdict has no gateway response');
        case 'block':
          return writeError(res, ctx, v.status, { rule: v.rule });
        case 'limit':
          return writeError(res, ctx, v.status, { rule: v.rule, retryAfterS: v.retryAfterS });
        case 'challenge':
          if (opts.renderChallenge) return opts.renderChallenge(res, ctx, v);
          // Without a challenge module the safe answer is a retryable refusal, never a silent pass.
          return writeError(res, ctx, 429, { rule: v.rule, retryAfterS: 5 });
      }
    },
  };
}

/**
 * Complete HTTP/1.1 error response as bytes, for errors found before Node made a request object
 * (parse errors, header overflow, slow headers): written to the socket, then the socket is closed.
 */
export function rawErrorResponse(status: number, id: string): string {
  const body = textBody(status, id);
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
    `${TEXT_FIELDS}${id}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
