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
  let watcher: ReturnType<typeof watch> | undefined;
  // An atomic save (write a new file, rename it over this one) leaves the watch on the replaced file, which
  // never changes again: watch the path anew before the next reload.
  let replaced = false;
  const arm = () => {
    replaced = false;
    watcher?.close();
    watcher = undefined;
    try {
      watcher = watch(file, { persistent: false }, (event) => {
        if (event === 'rename') replaced = true;
        debounced();
      });
    } catch {
      // Not every filesystem supports watching (or the file is missing right now); SIGHUP still works.
    }
  };
  // Editors write files in several steps (truncate, write, rename): wait for the burst to settle.
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (replaced) arm();
      reload();
    }, 150);
  };
  const onHup = () => {
    if (replaced || watcher === undefined) arm();
    reload();
  };
  process.on('SIGHUP', onHup);
  arm();
  return () => {
    clearTimeout(timer);
    process.off('SIGHUP', onHup);
    watcher?.close();
  };
}
