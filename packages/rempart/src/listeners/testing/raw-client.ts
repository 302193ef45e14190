import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { LimitsConfig, ListenerConfig } from '../../config/schema.ts';
import { limitsSchema } from '../../config/schema.ts';

// Test kit for listener tests: raw TCP exchanges (for input Node's own clients refuse to send) and
// config builders. Every wait is bounded.

export interface RawReply {
  text: string;
  /** The server closed the connection (FIN or reset) before the timeout. */
  closed: boolean;
  status: number | undefined;
}

export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  o: { localAddress?: string; timeoutMs?: number; gapMs?: number } = {},
): Promise<RawReply> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: o.localAddress });
    const parts: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const text = Buffer.concat(parts).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ text, closed, status: m ? Number(m[1]) : undefined });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 5_000);
    s.on('data', (d) => parts.push(d));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    s.on('connect', async () => {
      for (const c of chunks) {
        if (done || s.destroyed) return;
        s.write(c);
        if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
      }
    });
  });
}

export function testLimits(over: Partial<LimitsConfig> = {}): LimitsConfig {
  return { ...limitsSchema.parse({}), ...over };
}

export function testListener(over: Partial<ListenerConfig> = {}): ListenerConfig {
  return { name: 'test', host: '127.0.0.1', port: 0, protocol: 'http', proxy_protocol: false, ...over };
}

export const TEST_TLS = {
  cert: fileURLToPath(new URL('../testdata/cert.pem', import.meta.url)),
  key: fileURLToPath(new URL('../testdata/key.pem', import.meta.url)),
};
