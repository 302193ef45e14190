// A tiny router: routes are compiled once into segment lists; matching splits the path once per request.
import type { Ctx } from './reply.ts';

export type Handler = (ctx: Ctx) => Promise<void> | void;
type Route = { method: string; segments: string[]; handler: Handler };

export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler, or "method" when the path exists for another method, or undefined. */
  match(method: string, path: string, params: Record<string, string>): Handler | 'method' | undefined {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const s = r.segments[i];
        if (s.charCodeAt(0) === 58 /* : */) continue;
        if (s !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (r.method !== method && !(r.method === 'GET' && method === 'HEAD')) {
        pathMatched = true;
        continue;
      }
      for (let i = 0; i < parts.length; i++) {
        const s = r.segments[i];
        if (s.charCodeAt(0) === 58) params[s.slice(1)] = safeDecode(parts[i]);
      }
      return r.handler;
    }
    return pathMatched ? 'method' : undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
