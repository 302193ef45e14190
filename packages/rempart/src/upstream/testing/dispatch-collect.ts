import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

// Test kit: dispatch one request and collect everything its handler hears, checking the lifecycle on the way
// (onRequestStart first, exactly one of end/error, nothing after it).

export interface Collected {
  status: number;
  headers: IncomingHttpHeaders;
  /** Statuses of every head, interim ones included. */
  statuses: number[];
  body: Buffer;
  trailers: IncomingHttpHeaders | undefined;
  error: (Error & { code?: string; cause?: unknown }) | undefined;
  /** Callbacks received after the request had settled (must stay empty). */
  late: string[];
}

export interface CollectHooks {
  onStart?(c: Dispatcher.DispatchController): void;
  onHead?(c: Dispatcher.DispatchController, status: number): void;
  onData?(c: Dispatcher.DispatchController, chunk: Buffer): void;
}

export function collect(
  pool: Pick<Dispatcher, 'dispatch'>,
  opts: Partial<Dispatcher.DispatchOptions>,
  hooks: CollectHooks = {},
): Promise<Collected> {
  return new Promise((resolve) => {
    const out: Collected = {
      status: 0,
      headers: {},
      statuses: [],
      body: Buffer.alloc(0),
      trailers: undefined,
      error: undefined,
      late: [],
    };
    const chunks: Buffer[] = [];
    let started = false;
    let settled = false;
    const settle = () => {
      settled = true;
      out.body = Buffer.concat(chunks);
      // Give late callbacks a chance to show up before the test looks.
      setImmediate(() => resolve(out));
    };
    pool.dispatch({ path: '/', method: 'GET', ...opts } as Dispatcher.DispatchOptions, {
      onRequestStart(c) {
        if (started || settled) out.late.push('start');
        started = true;
        hooks.onStart?.(c);
      },
      onResponseStart(c, status, headers) {
        if (settled) return void out.late.push('head');
        out.statuses.push(status);
        if (status >= 200) {
          out.status = status;
          out.headers = headers;
        }
        hooks.onHead?.(c, status);
      },
      onResponseData(c, chunk) {
        if (settled) return void out.late.push('data');
        chunks.push(Buffer.from(chunk));
        hooks.onData?.(c, chunk);
      },
      onResponseEnd(_c, trailers) {
        if (settled) return void out.late.push('end');
        out.trailers = trailers;
        settle();
      },
      onResponseError(_c, err) {
        if (settled) return void out.late.push('error');
        out.error = err;
        settle();
      },
    });
  });
}
