import { execFileSync } from 'node:child_process';

// A target is what the traffic hits: the origin directly, or a gateway in front of it. Gateways run as
// child processes on loopback so their CPU, RSS and fds are measured from /proc, and a missing binary is a
// "skipped" target with its reason, never a faked result.

export const targetNames = ['rempart', 'direct', 'nginx', 'haproxy'] as const;
export type TargetName = (typeof targetNames)[number];

export interface RunningTarget {
  name: TargetName;
  host: string;
  port: number;
  /** HTTP/2 over TLS (ALPN h2) listener of a gateway; undefined for `direct` (the origins speak HTTP/1.1). */
  tlsPort?: number;
  /** Process to measure (the gateway); undefined for `direct`. */
  pid?: number;
  /** Rempart only: where to read the mode from. */
  admin?: { host: string; port: number; token: string };
  stop(): Promise<void>;
}

export interface TargetSpec {
  name: TargetName;
  /** Why it cannot run here, or undefined when it can. */
  unavailable(): string | undefined;
  start(origin: { host: string; port: number }, tmpDir: string): Promise<RunningTarget>;
}

/** Absolute path of a program on PATH (plus the sbin folders Debian puts servers in), or undefined. */
export function findBinary(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = [...path.split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'].filter(Boolean);
  try {
    const out = execFileSync(
      'sh',
      ['-c', 'for d in "$@"; do [ -x "$d/$0" ] && { echo "$d/$0"; exit 0; }; done; exit 1', name, ...dirs],
      {
        encoding: 'utf8',
      },
    );
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}
