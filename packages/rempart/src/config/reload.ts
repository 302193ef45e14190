import { watch } from 'node:fs';
import { ConfigError, formatProblem, loadConfigFile } from './load.ts';
import type { Config } from './schema.ts';

// Hot reload on SIGHUP and on file change. A bad file is refused with its problems and the running config is kept.

export interface ReloadEvents {
  applied(config: Config): void;
  refused(problems: string[]): void;
}

export function watchConfig(file: string, apply: (c: Config) => void, events: ReloadEvents): () => void {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    let config: Config;
    try {
      config = loadConfigFile(file);
    } catch (e) {
      const problems = e instanceof ConfigError ? e.problems.map(formatProblem) : [(e as Error).message];
      events.refused(problems);
      return;
    }
    try {
      apply(config);
      events.applied(config);
    } catch (e) {
      events.refused([(e as Error).message]);
    }
  };
  // Editors write files in several steps (truncate, write, rename): wait for the burst to settle.
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 150);
  };
  const onHup = () => reload();
  process.on('SIGHUP', onHup);
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(file, { persistent: false }, debounced);
  } catch {
    // Not every filesystem supports watching; SIGHUP still works.
  }
  return () => {
    clearTimeout(timer);
    process.off('SIGHUP', onHup);
    watcher?.close();
  };
}
