import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import type { ListenerAddress } from '../listeners/bind.ts';
import type { DecisionRecord } from '../obs/decisions.ts';
import type { Mode } from '../pipeline/types.ts';
import type { Peers } from '../server.ts';
import type { FromWorker, ToWorker, WorkerMetrics } from './messages.ts';
import type { WorkerInit } from './worker-thread.ts';

// The main thread's side of a worker set: starts worker threads 1..count-1, each a gateway on the main thread's
// ports, and speaks to them for the admin API (metrics, explain), pins, reloads and the drain. A worker that
// dies outside a drain is started again, like an nginx master restarts a worker.

/** An answer a worker owes; never waited on forever (a wedged worker must not hang the admin API). */
const ANSWER_TIMEOUT_MS = 5_000;
/** Pause before restarting a worker that died, so a worker failing at start cannot spin the process. */
const RESTART_DELAY_MS = 1_000;

export interface WorkerSetOptions {
  readonly count: number;
  /** Listener ports as the main thread bound them (port 0 in the file becomes the port it got). */
  readonly listeners: readonly ListenerAddress[];
  readonly init: Omit<WorkerInit, 'index' | 'config'>;
  readonly log: { error(obj: object, msg: string): void };
  /** The module each thread runs; tests give a stand-in. Default: worker-thread.ts. */
  readonly entry?: URL;
  /** Pause before a dead worker is started again. */
  readonly restartDelayMs?: number;
}

interface Pending {
  resolve(m: FromWorker): void;
  timer: NodeJS.Timeout;
}

/** The file's configuration with each listener on the port the main thread bound. */
function onBoundPorts(config: Config, bound: readonly ListenerAddress[]): Config {
  return {
    ...config,
    listeners: config.listeners.map((l) => {
      const b = bound.find((a) => a.name === l.name);
      return b === undefined ? l : { ...l, port: b.port };
    }),
  };
}

class WorkerHandle {
  worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(worker: Worker) {
    this.worker = worker;
  }

  /** Hooks a (re)started thread: answers go to their waiters. */
  bind(worker: Worker, onOther: (m: FromWorker) => void): void {
    this.worker = worker;
    worker.on('message', (m: FromWorker) => {
      const id = (m as { id?: number }).id;
      const p = id === undefined ? undefined : this.pending.get(id);
      if (p === undefined) return onOther(m);
      this.pending.delete(id as number);
      clearTimeout(p.timer);
      p.resolve(m);
    });
  }

  send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** Sends a request and resolves with the answer, or undefined after ANSWER_TIMEOUT_MS or if the thread dies. */
  ask(make: (id: number) => ToWorker): Promise<FromWorker | undefined> {
    // Between a crash and its restart the thread is gone: do not wait for it.
    if (this.worker.threadId < 0) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, { resolve, timer });
      this.worker.postMessage(make(id));
    });
  }

  /** The thread is gone: nobody will answer what it was asked. */
  dropPending(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ t: 'closed' });
    }
    this.pending.clear();
  }
}

export async function startWorkerSet(config: Config, o: WorkerSetOptions): Promise<Peers> {
  let current = onBoundPorts(config, o.listeners);
  let closing = false;
  const handles: WorkerHandle[] = [];

  const spawn = (index: number): { worker: Worker; ready: Promise<void> } => {
    const init: WorkerInit = { ...o.init, index, config: current };
    const worker = new Worker(o.entry ?? new URL('./worker-thread.ts', import.meta.url), { workerData: init });
    let settle: (err?: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    const onOther = (m: FromWorker) => {
      if (m.t === 'ready') settle();
      else if (m.t === 'failed') settle(new Error(`worker ${index}: ${m.message}`));
    };
    worker.once('error', (err) => {
      o.log.error({ event: 'worker-error', worker: index, err: err.message }, 'worker thread failed');
      settle(err);
    });
    worker.once('exit', (code) => {
      settle(new Error(`worker ${index} exited with code ${code} before it was ready`));
      const h = handles[index - 1];
      h?.dropPending();
      if (closing || h === undefined || h.worker !== worker) return;
      o.log.error({ event: 'worker-exit', worker: index, code }, 'worker thread stopped; starting it again');
      setTimeout(() => {
        if (closing) return;
        const again = spawn(index);
        again.ready.catch((err: Error) =>
          o.log.error({ event: 'worker-restart-failed', worker: index, err: err.message }, 'worker restart failed'),
        );
      }, o.restartDelayMs ?? RESTART_DELAY_MS).unref();
    });
    // A restarted thread keeps its handle (and index); answers pending on the dead one were dropped at exit.
    handles[index - 1] ??= new WorkerHandle(worker);
    handles[index - 1].bind(worker, onOther);
    return { worker, ready };
  };

  const starting = [];
  for (let i = 1; i < o.count; i++) starting.push(spawn(i).ready);
  try {
    await Promise.all(starting);
  } catch (err) {
    closing = true;
    await Promise.all(handles.map((h) => h.worker.terminate()));
    throw err;
  }

  return {
    pin(mode: Mode | null): void {
      for (const h of handles) h.send({ t: 'pin', mode });
    },
    async reload(next: Config): Promise<void> {
      current = onBoundPorts(next, o.listeners);
      const answers = await Promise.all(handles.map((h) => h.ask((id) => ({ t: 'reload', id, config: current }))));
      const refused = answers.find((a) => a?.t === 'reloaded' && a.error !== undefined);
      if (refused?.t === 'reloaded') throw new Error(refused.error);
    },
    async metrics(): Promise<WorkerMetrics[]> {
      const answers = await Promise.all(handles.map((h) => h.ask((id) => ({ t: 'metrics', id }))));
      const out: WorkerMetrics[] = [];
      for (const a of answers) if (a?.t === 'metrics') out.push(a.metrics);
      return out;
    },
    async decision(decision: string): Promise<DecisionRecord | undefined> {
      // Ids carry their worker's random prefix, not its index: ask them all, at most one knows it.
      const answers = await Promise.all(handles.map((h) => h.ask((id) => ({ t: 'decision', id, decision }))));
      for (const a of answers) if (a?.t === 'decision' && a.record !== null) return a.record;
      return undefined;
    },
    async close(graceMs: number): Promise<void> {
      closing = true;
      await Promise.all(
        handles.map(
          (h) =>
            new Promise<void>((resolve) => {
              const w = h.worker;
              if (w.threadId < 0) return resolve(); // already gone
              const hard = setTimeout(() => void w.terminate(), graceMs + 2_000);
              hard.unref();
              w.once('exit', () => {
                clearTimeout(hard);
                resolve();
              });
              h.send({ t: 'close', graceMs });
            }),
        ),
      );
    },
  };
}
