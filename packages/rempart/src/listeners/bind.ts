import type { Config } from '../config/schema.ts';
import { RempartError } from '../core/errors.ts';
import { createPublicListener, type PublicListener, type PublicListenerOptions } from './public-listener.ts';

// Opens every public listener of a configuration, in order. One that cannot bind closes those already open and
// fails the start with the listener's name and address, so a port clash reads as a sentence, not a stack.

export interface ListenerAddress {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
  readonly url: string;
}

/** The URL a person types to reach a listener: a wildcard host becomes loopback, IPv6 is bracketed. */
export function urlOf(protocol: 'http' | 'https', host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return `${protocol}://${h}:${port}`;
}

export async function bindListeners(
  config: Config,
  opts: PublicListenerOptions,
): Promise<{ publics: PublicListener[]; addresses: ListenerAddress[] }> {
  const publics = config.listeners.map((l) => createPublicListener(l, config.limits, opts));
  const addresses: ListenerAddress[] = [];
  try {
    for (let i = 0; i < publics.length; i++) {
      const cfg = config.listeners[i];
      const a = await publics[i].listen().catch((err: Error) => {
        throw new RempartError(
          'REMPART_LISTEN_FAILED',
          `listener "${cfg.name}" cannot bind ${cfg.host}:${cfg.port}: ${err.message}`,
          { cause: err },
        );
      });
      addresses.push({
        name: cfg.name,
        host: cfg.host,
        port: a.port,
        protocol: cfg.protocol,
        url: urlOf(cfg.protocol, cfg.host, a.port),
      });
    }
  } catch (e) {
    await Promise.all(publics.map((l) => l.close(0)));
    throw e;
  }
  return { publics, addresses };
}
