import { type DestinationStream, destination, type Logger, pino } from 'pino';
import type { Clock } from '../core/clock.ts';

// Logs. Operational lines (start, reload, errors) always go out. Access and decision lines are capped at
// `maxLinesPerS` per second: under flood the rest are counted, reported once a second as one summary line,
// and exported as a metric, so an attack can neither fill the disk nor slow the request path with writes.

export interface LogOptions {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** "stdout", "stderr" or a file path. */
  readonly destination: string;
  readonly maxLinesPerS: number;
  readonly clock: Clock;
  /** Called with the number of lines dropped (feeds rempart_log_lines_dropped_total). */
  readonly onDropped?: (n: number) => void;
}

export interface RempartLog {
  /** Operational logger (never sampled). */
  readonly logger: Logger;
  /** Access lines are info-level: false when the configured level hides them (callers skip building them). */
  readonly accessEnabled: boolean;
  /** One access or decision line, subject to the per-second cap; false when it was dropped. */
  line(obj: Record<string, unknown>, msg: string): boolean;
  /** A reload's new per-second cap (applies from the next line). */
  setMaxLinesPerS(n: number): void;
  /** Lines dropped since start. */
  readonly dropped: number;
  /** Emits the pending summary and flushes the destination. */
  close(): Promise<void>;
}

function openDestination(
  dest: string,
): DestinationStream & { end(): void; flushSync(): void; on: NodeJS.EventEmitter['on'] } {
  const fd = dest === 'stdout' ? 1 : dest === 'stderr' ? 2 : undefined;
  // Asynchronous, buffered writes: the request path never waits for the disk.
  return destination({
    dest: fd ?? dest,
    sync: false,
    minLength: fd === undefined ? 4_096 : 0,
    mkdir: fd === undefined,
  }) as never;
}

export function createLog(o: LogOptions): RempartLog {
  const dest = openDestination(o.destination);
  // A reader that went away (the supervisor holding our stdout died) must not wedge the gateway: after EPIPE
  // close() does not try to flush into the void (lines written meanwhile are lost, as they must be).
  let broken = false;
  dest.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'EBADF') broken = true;
  });
  const logger = pino({ level: o.level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  let second = Math.floor(o.clock.now() / 1000);
  let written = 0;
  let droppedThisSecond = 0;
  let droppedTotal = 0;
  let maxLinesPerS = o.maxLinesPerS;

  const summarise = (): void => {
    if (droppedThisSecond === 0) return;
    logger.warn({ dropped: droppedThisSecond }, `${droppedThisSecond} lines dropped`);
    droppedThisSecond = 0;
  };
  // The summary also comes out when the flood stops and no new line rolls the second over.
  const timer = setInterval(() => {
    if (Math.floor(o.clock.now() / 1000) !== second) {
      summarise();
      second = Math.floor(o.clock.now() / 1000);
      written = 0;
    }
  }, 1_000);
  timer.unref();

  return {
    logger,
    // Read per request: a reload may change the level (pino's check is a number comparison).
    get accessEnabled() {
      return logger.isLevelEnabled('info');
    },
    line(obj, msg) {
      // A level that hides access lines is not a flood: nothing is counted as dropped.
      if (!logger.isLevelEnabled('info')) return false;
      const s = Math.floor(o.clock.now() / 1000);
      if (s !== second) {
        summarise();
        second = s;
        written = 0;
      }
      if (written >= maxLinesPerS) {
        droppedThisSecond++;
        droppedTotal++;
        o.onDropped?.(1);
        return false;
      }
      written++;
      logger.info(obj, msg);
      return true;
    },
    setMaxLinesPerS(n) {
      maxLinesPerS = n;
    },
    get dropped() {
      return droppedTotal;
    },
    close() {
      clearInterval(timer);
      summarise();
      if (o.destination === 'stdout' || o.destination === 'stderr') {
        if (broken) return Promise.resolve();
        try {
          dest.flushSync();
        } catch {
          // not ready yet (nothing written): nothing to flush
        }
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        dest.on('close', () => resolve());
        dest.end();
      });
    },
  };
}
