// Two-sided errors: a stable code and a public message for people, a private cause for logs.
export type ErrorCode =
  | 'REMPART_CONFIG_INVALID'
  | 'REMPART_CONFIG_UNREADABLE'
  | 'REMPART_LISTEN_FAILED'
  | 'REMPART_USAGE'
  | 'REMPART_UPSTREAM_UNAVAILABLE'
  | 'REMPART_STATE_UNAVAILABLE'
  | 'REMPART_RELOAD_NEEDS_RESTART';

export class RempartError extends Error {
  readonly code: ErrorCode;
  /** True when the error comes from what a person gave us (config, CLI args): print it without a stack. */
  readonly userFacing: boolean;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; userFacing?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RempartError';
    this.code = code;
    this.userFacing = opts.userFacing ?? true;
  }
}
