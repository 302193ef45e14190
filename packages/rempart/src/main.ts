import { configJsonSchema } from './config/json-schema.ts';
import { loadConfigFile } from './config/load.ts';
import { RempartError } from './core/errors.ts';

// The CLI: serve | check-config | schema. User errors print one clear message and no stack trace.

const USAGE = `usage:
  rempart serve --config FILE      run the gateway (SIGHUP or a file change reloads; SIGTERM drains and stops)
  rempart check-config FILE        validate a configuration; problems are printed as file:line:col
  rempart schema                   print the JSON Schema of the configuration
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`rempart: ${message}\n`);
  process.exit(code);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve': {
        const file = flag(rest, '--config') ?? flag(rest, '-c');
        if (!file) fail(`serve needs --config FILE\n${USAGE}`);
        const { runServe } = await import('./serve.ts');
        await runServe(file);
        return;
      }
      case 'check-config': {
        const file = rest[0] ?? flag(rest, '--config');
        if (!file) fail(`check-config needs a FILE\n${USAGE}`);
        loadConfigFile(file);
        process.stdout.write(`${file}: ok\n`);
        return;
      }
      case 'schema':
        process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        if (cmd === undefined) process.exitCode = 2;
        return;
      default:
        fail(`unknown command "${cmd}"\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof RempartError && e.userFacing) fail(e.message, 1);
    throw e;
  }
}
