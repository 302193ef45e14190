import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { DecisionRecord } from '../obs/decisions.ts';
import type { Mode } from '../pipeline/types.ts';

// What the main thread and its worker threads say to each other (structured-cloned over the worker's port).
// Requests that expect an answer carry a number `id` the answer repeats.

export type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

export type ToWorker =
  | { readonly t: 'reload'; readonly id: number; readonly config: Config }
  | { readonly t: 'pin'; readonly mode: Mode | null }
  | { readonly t: 'metrics'; readonly id: number }
  | { readonly t: 'decision'; readonly id: number; readonly decision: string }
  | { readonly t: 'close'; readonly graceMs: number };

export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'reloaded'; readonly id: number; readonly error?: string }
  | { readonly t: 'metrics'; readonly id: number; readonly metrics: WorkerMetrics }
  | { readonly t: 'decision'; readonly id: number; readonly record: DecisionRecord | null }
  | { readonly t: 'closed' };
