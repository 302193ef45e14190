// The options every bench script takes: `--json`, `--seconds N`, `--rounds N`, `--connections N`, and any other
// numeric `--name N` through opt(). Defaults are each script's own.

const argv = process.argv.slice(2);

/** The number after `name` on the command line, or `dflt`. */
export function opt(name: string, dflt: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}

export function benchArgs(defaults: { seconds: number; rounds: number }): {
  json: boolean;
  seconds: number;
  rounds: number;
  connections: number;
} {
  return {
    json: argv.includes('--json'),
    seconds: opt('--seconds', defaults.seconds),
    rounds: opt('--rounds', defaults.rounds),
    connections: opt('--connections', 64),
  };
}
