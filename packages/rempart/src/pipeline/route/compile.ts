import type { Config, RouteConfig } from '../../config/schema.ts';
import { hostOf } from '../context.ts';
import type { CompiledDistinctRule, CompiledRateRule } from '../ratelimit/compile.ts';
import { appliesToRoute } from '../ratelimit/compile.ts';
import type { CompiledRouteRef, RequestCtx, RouteClass } from '../types.ts';

// Routes compiled once at load: method set, host, path prefix and regex, plus the rate/distinct rules that
// apply to each route, so the hot path never filters rules per request. First matching route wins (config
// order); nothing matching gives the default route (class normal, first upstream).

export type LimitRule = CompiledRateRule | CompiledDistinctRule;

export class CompiledRoute implements CompiledRouteRef {
  readonly name: string;
  readonly routeClass: RouteClass;
  readonly upstream: string;
  readonly maxBodyBytes: number;
  /** Rate rules first, then distinct rules, each in config order. */
  readonly limits: readonly LimitRule[];
  /** Some rule here reads form:X: the server should buffer small urlencoded/JSON bodies into ctx.form. */
  readonly needsForm: boolean;
  readonly isDefault: boolean;

  constructor(
    r: { name: string; routeClass: RouteClass; upstream: string; maxBodyBytes: number; isDefault: boolean },
    allRules: readonly LimitRule[],
  ) {
    this.name = r.name;
    this.routeClass = r.routeClass;
    this.upstream = r.upstream;
    this.maxBodyBytes = r.maxBodyBytes;
    this.isDefault = r.isDefault;
    this.limits = allRules.filter((x) => appliesToRoute(x, r.name, r.routeClass, r.isDefault));
    this.needsForm = this.limits.some((x) => x.needsForm);
  }
}

interface Matcher {
  readonly route: CompiledRoute;
  readonly methods: ReadonlySet<string> | undefined;
  /** Exact host, or a suffix (".example.org") for "*.example.org"; undefined = any host. */
  readonly host: string | undefined;
  readonly hostSuffix: boolean;
  readonly prefix: string | undefined;
  readonly regex: RegExp | undefined;
}

export interface RouteTable {
  readonly routes: readonly CompiledRoute[];
  readonly fallback: CompiledRoute;
  readonly byName: ReadonlyMap<string, CompiledRoute>;
  /** `host` without port, lowercased (context.ts hostOf). */
  match(method: string, host: string, path: string): CompiledRoute;
}

function matcherOf(r: RouteConfig, route: CompiledRoute): Matcher {
  const host = r.match.host?.toLowerCase();
  const wild = host?.startsWith('*.') ?? false;
  return {
    route,
    methods: r.match.methods === undefined ? undefined : new Set(r.match.methods),
    host: wild ? host?.slice(1) : host,
    hostSuffix: wild,
    prefix: r.match.path_prefix,
    regex: r.match.path_regex === undefined ? undefined : new RegExp(r.match.path_regex),
  };
}

function matches(m: Matcher, method: string, host: string, path: string): boolean {
  if (m.prefix !== undefined && !path.startsWith(m.prefix)) return false;
  if (m.methods !== undefined && !m.methods.has(method)) return false;
  if (m.host !== undefined && !(m.hostSuffix ? host.endsWith(m.host) : host === m.host)) return false;
  if (m.regex !== undefined && !m.regex.test(path)) return false;
  return true;
}

export function compileRoutes(config: Config, rules: readonly LimitRule[]): RouteTable {
  const firstUpstream = config.upstreams[0].name;
  const defaultBody = config.limits.max_body_bytes;
  const matchers = config.routes.map((r) =>
    matcherOf(
      r,
      new CompiledRoute(
        {
          name: r.name,
          routeClass: r.class,
          upstream: r.upstream ?? firstUpstream,
          maxBodyBytes: r.max_body_bytes ?? defaultBody,
          isDefault: false,
        },
        rules,
      ),
    ),
  );
  const fallback = new CompiledRoute(
    { name: 'default', routeClass: 'normal', upstream: firstUpstream, maxBodyBytes: defaultBody, isDefault: true },
    rules,
  );
  const routes = matchers.map((m) => m.route);
  return {
    routes,
    fallback,
    byName: new Map(routes.map((r) => [r.name, r])),
    match(method, host, path) {
      for (let i = 0; i < matchers.length; i++) if (matches(matchers[i], method, host, path)) return matchers[i].route;
      return fallback;
    },
  };
}

/** What the server calls after newCtx: sets ctx.route and ctx.routeClass. */
export function matchRoute(ctx: RequestCtx, table: RouteTable): CompiledRoute {
  const m = table.match(ctx.method, hostOf(ctx.headers), ctx.path);
  ctx.route = m;
  ctx.routeClass = m.routeClass;
  return m;
}

/**
 * The compiled route of this request. The server normally set ctx.route from match(); a ref from elsewhere
 * (tests, another module) is resolved by name, and a missing one is matched here and written to ctx.
 */
export function routeOf(ctx: RequestCtx, table: RouteTable): CompiledRoute {
  const r = ctx.route;
  if (r instanceof CompiledRoute) return r;
  if (r !== undefined) return table.byName.get(r.name) ?? table.fallback;
  const m = table.match(ctx.method, hostOf(ctx.headers), ctx.path);
  ctx.route = m;
  ctx.routeClass ??= m.routeClass;
  return m;
}
