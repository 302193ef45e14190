// Errors of the HTTP/1.1 upstream client, with undici's stable codes where undici has one, so retry.ts and
// forward.ts read ours exactly as they read undici's. A malformed origin response carries llhttp's HPE_* name
// for what was wrong; none of those is retryable (the origin received and acted on the request).

export const CODES = {
  connectTimeout: 'UND_ERR_CONNECT_TIMEOUT',
  headersTimeout: 'UND_ERR_HEADERS_TIMEOUT',
  bodyTimeout: 'UND_ERR_BODY_TIMEOUT',
  socket: 'UND_ERR_SOCKET',
  closed: 'UND_ERR_CLOSED',
  destroyed: 'UND_ERR_DESTROYED',
  aborted: 'UND_ERR_ABORTED',
  invalidArg: 'UND_ERR_INVALID_ARG',
  requestLength: 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  queueFull: 'REMPART_UPSTREAM_QUEUE_FULL',
} as const;

export class UpstreamError extends Error {
  readonly code: string;

  constructor(code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UpstreamError';
    this.code = code;
  }
}

/** The origin's bytes broke HTTP/1.1 framing or syntax; `code` is llhttp's name for the fault. */
export class ResponseParseError extends UpstreamError {
  constructor(code: string, message: string) {
    super(code, `invalid origin response: ${message}`);
    this.name = 'ResponseParseError';
  }
}

/** A socket failure once connected: code UND_ERR_SOCKET, the syscall error (if any) as `cause`. */
export function socketError(message: string, cause?: unknown): UpstreamError {
  return new UpstreamError(CODES.socket, message, cause);
}
