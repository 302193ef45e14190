// The push channel: banking apps hold an SSE stream; a payment request is written to the device's
// streams. Delivery fails (→ SMS fallback) when no stream is open or every stream is backed up, which is
// what "overloaded" looks like from here. Bounded: streams per device and in total.
import type { ServerResponse } from 'node:http';

const MAX_PER_DEVICE = 3;
const BACKLOG_BYTES = 64 * 1024;

export class PushHub {
  private readonly streams = new Map<string, Set<ServerResponse>>();
  private count = 0;
  private readonly maxStreams: number;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(maxStreams = 10_000, heartbeatMs = 15_000) {
    this.maxStreams = maxStreams;
    // One timer for all streams; the comment line keeps idle proxies from closing them.
    this.heartbeat = setInterval(() => {
      for (const set of this.streams.values()) for (const res of set) res.write(': ping\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Attach an SSE response; returns false when the device or the hub is at capacity. */
  attach(deviceId: string, res: ServerResponse): boolean {
    let set = this.streams.get(deviceId);
    if (this.count >= this.maxStreams || (set && set.size >= MAX_PER_DEVICE)) return false;
    if (!set) {
      set = new Set();
      this.streams.set(deviceId, set);
    }
    set.add(res);
    this.count++;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    res.on('close', () => {
      if (set.delete(res)) this.count--;
      if (set.size === 0 && this.streams.get(deviceId) === set) this.streams.delete(deviceId);
    });
    return true;
  }

  /** Write an event to the device's healthy streams; true if at least one took it. */
  deliver(deviceId: string, event: string, data: unknown): boolean {
    const set = this.streams.get(deviceId);
    if (!set) return false;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    let delivered = false;
    for (const res of set) {
      if (res.writableLength > BACKLOG_BYTES || res.destroyed) continue;
      res.write(frame);
      delivered = true;
    }
    return delivered;
  }

  connected(deviceId: string): boolean {
    return (this.streams.get(deviceId)?.size ?? 0) > 0;
  }

  get size(): number {
    return this.count;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const set of this.streams.values()) for (const res of set) res.end();
    this.streams.clear();
    this.count = 0;
  }
}
