import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FLAGS, flagsFor, threadsOf } from '../bin/v8-flags.js';
import { adminCall, call, limitedYaml, type Origin, startOrigin, until } from './testing/gateway-kit.ts';

// The `rempart` CLI as a process, as an operator or a script runs it: check-config, schema, usage errors, and
// `serve` with a real configuration file that is edited, broken, signalled and finally drained.

const BIN = fileURLToPath(new URL('../bin/rempart.js', import.meta.url));
const TESTDATA = fileURLToPath(new URL('./config/testdata/', import.meta.url));
const ENV = { ...process.env, REMPART_ADMIN_TOKEN: 'cli-test-token-0123456789abcdef' };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function rempart(args: string[], cwd = TESTDATA): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: ENV, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

const NO_STACK = /^\s+at /m;

describe('rempart check-config / schema / usage', () => {
  it('check-config on a good file exits 0 and prints ok', async () => {
    const r = await rempart(['check-config', 'good/minimal.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'good/minimal.yaml: ok\n');
    assert.equal(r.stderr, '');
  });

  it('check-config on a bad file exits non-zero with file:line:col and no stack trace', async () => {
    const r = await rempart(['check-config', 'bad/typo-key.yaml']);
    assert.notEqual(r.code, 0);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^rempart: bad\/typo-key\.yaml:4:5: .*unknown key "protocl"/m);
    assert.doesNotMatch(r.stderr, NO_STACK);
    assert.equal(r.stdout, '');
  });

  it('check-config reports every problem of a file, each with its position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rempart-cli-'));
    try {
      const f = join(dir, 'two.yaml');
      writeFileSync(
        f,
        'listeners:\n  - name: public\n    port: 99999\nadmin:\n  token: short\nupstreams:\n  - name: o\n    url: http://127.0.0.1:1\n',
      );
      const r = await rempart(['check-config', f]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`${f.replaceAll('/', '\\/')}:3:11: .*65535`));
      assert.match(r.stderr, new RegExp(`${f.replaceAll('/', '\\/')}:5:10: .*at least 16`));
      assert.doesNotMatch(r.stderr, NO_STACK);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check-config on a missing file exits 1 with a one-line reason', async () => {
    const r = await rempart(['check-config', 'no/such/file.yaml']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'rempart: no/such/file.yaml: cannot read: ENOENT\n');
  });

  it('a missing environment variable is named, with its position', async () => {
    const r = await new Promise<Ran>((resolve) =>
      execFile(
        process.execPath,
        [BIN, 'check-config', 'good/minimal.yaml'],
        { cwd: TESTDATA, env: { PATH: process.env.PATH }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr }),
      ),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /good\/minimal\.yaml:6:\d+: .*REMPART_ADMIN_TOKEN is not set/);
    assert.doesNotMatch(r.stderr, NO_STACK);
  });

  it('schema prints a JSON Schema that accepts a good configuration and rejects a typo', async () => {
    const r = await rempart(['schema']);
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.type, 'object');
    assert.deepEqual([...schema.required].sort(), ['admin', 'listeners', 'upstreams']);
    assertWellFormed(schema, schema);
    const good = {
      listeners: [{ name: 'public', port: 8080 }],
      admin: { token: '0123456789abcdef0123' },
      upstreams: [{ name: 'o', url: 'http://127.0.0.1:3000' }],
      rate_limits: [{ name: 'per-ip', key: ['ip'], rate: 5 }],
    };
    assert.deepEqual(validate(schema, schema, good), []);
    const typo = { ...good, listeners: [{ name: 'public', port: 8080, protocl: 'http' }] };
    assert.ok(validate(schema, schema, typo).some((p) => p.includes('protocl')));
    assert.ok(validate(schema, schema, { ...good, listeners: [] }).length > 0);
    assert.ok(validate(schema, schema, { ...good, admin: { token: 'short' } }).length > 0);
  });

  it('an unknown command exits 2 with the usage; no command prints the usage and exits 2', async () => {
    const r = await rempart(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^rempart: unknown command "frobnicate"/);
    assert.match(r.stderr, /usage:/);
    assert.match(r.stderr, /rempart serve --config FILE/);
    assert.doesNotMatch(r.stderr, NO_STACK);
    const none = await rempart([]);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /usage:/);
    const serve = await rempart(['serve']);
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /serve needs --config FILE/);
  });

  it('serve with a bad file exits 1 with file:line:col and no stack trace', async () => {
    const r = await rempart(['serve', '--config', 'bad/unknown-upstream.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\/unknown-upstream\.yaml:11:15: .*unknown upstream "origine"/);
    assert.doesNotMatch(r.stderr, NO_STACK);
  });
});

/** A `rempart serve --config FILE` process: its stdout JSON lines (the ready line, then the logs) and stderr. */
interface Served {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly port: number;
  readonly adminPort: number;
  // biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON
  readonly lines: any[];
  stderr(): string;
  // biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON
  events(name: string): any[];
  /** The (after+1)-th line of that event, waited for. */
  // biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON
  nextEvent(name: string, after: number): Promise<any>;
  runningBurst(): Promise<number>;
  burstBecomes(n: number): Promise<unknown>;
  kill(): Promise<void>;
}

async function serve(file: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON
  const lines: any[] = [];
  let stderr = '';
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line));
    } catch {
      lines.push({ text: line });
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr += d;
  });
  const events = (name: string) => lines.filter((l) => l.event === name);
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  let ready: { listeners: { port: number }[]; admin: { port: number } };
  try {
    ready = await until(
      () => (child.exitCode !== null ? { exited: child.exitCode } : events('ready')[0]),
      'the ready line',
      30_000,
    );
    assert.ok(ready.listeners !== undefined, `serve exited before it was ready: ${stderr}`);
  } catch (e) {
    await kill();
    throw e;
  }
  const adminPort = ready.admin.port;
  const runningBurst = async () =>
    (await adminCall(adminPort, 'GET', '/api/config')).json().rate_limits[0].burst as number;
  return {
    child,
    exited,
    port: ready.listeners[0].port,
    adminPort,
    lines,
    stderr: () => stderr,
    events,
    nextEvent: (name, after) =>
      until(() => (events(name).length > after ? events(name)[after] : undefined), `line ${after + 1} of ${name}`),
    runningBurst,
    burstBecomes: (n) =>
      until(async () => ((await runningBurst()) === n ? true : undefined), `the running burst to become ${n}`),
    kill,
  };
}

describe('rempart serve', () => {
  let origin: Origin;
  let dir: string;
  const running: Served[] = [];

  const yaml = (burst: number) => limitedYaml(origin.url, burst, '', { logging: '  level: info' });
  const statuses = async (port: number, from: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await call(port, { path: '/limited', localAddress: from })).status);
    return out;
  };

  before(async () => {
    origin = await startOrigin();
    dir = mkdtempSync(join(tmpdir(), 'rempart-serve-'));
  });

  after(async () => {
    for (const s of running) await s.kill();
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('file reload and SIGTERM', () => {
    let file: string;
    let gw: Served;
    /** An editor's atomic save: write a temporary file, rename it over the configuration. */
    const atomicSave = (text: string) => {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };

    before(async () => {
      file = join(dir, 'rempart.yaml');
      writeFileSync(file, yaml(1));
      gw = await serve(file);
      running.push(gw);
    });

    it('prints one JSON ready line with its pid, listeners and admin address', () => {
      const ready = gw.events('ready');
      assert.equal(ready.length, 1);
      assert.equal(ready[0].pid, gw.child.pid);
      assert.equal(ready[0].listeners[0].name, 'public');
      assert.equal(ready[0].listeners[0].url, `http://127.0.0.1:${gw.port}`);
      assert.ok(gw.port > 0 && gw.adminPort > 0);
      assert.equal(ready[0].admin.url, `http://127.0.0.1:${gw.adminPort}`);
    });

    it('runs with its V8 memory and GC flags from the command line, in the same process (execve)', () => {
      const procFile = `/proc/${gw.child.pid}/cmdline`;
      if (!existsSync(procFile)) return; // not Linux: nothing to read the command line from
      const argv = readFileSync(procFile, 'utf8').split('\0');
      // One serving thread: the whole young-generation budget.
      assert.ok(argv.includes('--max-semi-space-size=16'), argv.join(' '));
      for (const f of FLAGS) assert.ok(argv.includes(f), `${f} missing from ${argv.join(' ')}`);
      assert.ok(argv.includes('serve'));
    });

    it('an edited file is reloaded and the new limit applies', async () => {
      assert.deepEqual(await statuses(gw.port, '127.0.30.1', 3), [200, 200, 429]);
      const n = gw.events('config-reloaded').length;
      writeFileSync(file, yaml(10));
      const line = await gw.nextEvent('config-reloaded', n);
      assert.equal(line.file, file);
      assert.equal(await gw.runningBurst(), 10);
      assert.deepEqual(await statuses(gw.port, '127.0.30.1', 2), [200, 200]);
    });

    it('atomic saves (write + rename over the file) are picked up, again and again', async () => {
      atomicSave(yaml(20));
      await gw.burstBecomes(20);
      atomicSave(yaml(30));
      await gw.burstBecomes(30);
      writeFileSync(file, yaml(40));
      await gw.burstBecomes(40);
    });

    it('an invalid file is refused with file:line:col and the running config keeps serving', async () => {
      const n = gw.events('config-refused').length;
      writeFileSync(file, yaml(2).replace('    rate: 0.01', '    rate: 0.01\n    rte: 5'));
      const refused = await gw.nextEvent('config-refused', n);
      assert.equal(refused.file, file);
      assert.ok(
        refused.problems.some((p: string) => p.startsWith(`${file}:`) && /^.+:\d+:\d+: .*unknown key "rte"/.test(p)),
        JSON.stringify(refused.problems),
      );
      assert.equal(await gw.runningBurst(), 40, 'the running configuration is kept');
      assert.equal((await call(gw.port, { path: '/limited', localAddress: '127.0.30.2' })).status, 200);
    });

    it('a file that changes the listeners is refused: restart needed', async () => {
      const n = gw.events('config-refused').length;
      writeFileSync(file, yaml(3).replace('    port: 0\n', '    port: 1\n'));
      const refused = await gw.nextEvent('config-refused', n);
      assert.ok(
        refused.problems.some((p: string) => /changed listeners: restart to apply/.test(p)),
        JSON.stringify(refused.problems),
      );
      assert.equal(await gw.runningBurst(), 40);
      // A valid file afterwards is applied: the refusals left the watcher working.
      writeFileSync(file, yaml(41));
      await gw.burstBecomes(41);
    });

    it('SIGTERM drains: a request in flight completes, then the process exits 0', async () => {
      const slow = call(gw.port, { path: '/drain?ms=600', timeoutMs: 30_000 });
      await until(() => (origin.inFlight.now > 0 ? true : undefined), 'the slow request to reach the origin');
      gw.child.kill('SIGTERM');
      await gw.nextEvent('draining', 0);
      // While it drains, the admin API still answers, and readiness is withdrawn for the balancer.
      const ready = await adminCall(gw.adminPort, 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.json().listeners, false);
      const r = await slow;
      assert.equal(r.status, 200);
      assert.equal(r.json().url, '/drain?ms=600');
      assert.equal(await gw.exited, 0);
      assert.equal(gw.events('draining')[0]?.signal, 'SIGTERM');
      assert.equal(gw.events('stopped').length, 1);
      await assert.rejects(call(gw.port, { path: '/after' }), 'the listener is closed');
      assert.doesNotMatch(gw.stderr(), NO_STACK);
    });
  });

  describe('a supervisor that stops reading stdout', () => {
    it('does not wedge the gateway: it still serves, and SIGTERM still ends it', { timeout: 40_000 }, async () => {
      const f = join(dir, 'stdout-gone.yaml');
      writeFileSync(f, yaml(1000));
      const gw = await serve(f);
      running.push(gw);
      // The reading end goes away (as when the process holding our stdout dies): log writes now get EPIPE.
      (gw.child.stdout as NodeJS.ReadableStream & { destroy(): void }).destroy();
      for (let i = 0; i < 20; i++) assert.equal((await call(gw.port, { path: `/limited?i=${i}` })).status, 200);
      gw.child.kill('SIGTERM');
      assert.equal(await gw.exited, 0);
    });
  });

  describe('SIGHUP', () => {
    // The configuration is a symlink that is swapped to a new target, as a deployment tool (or a Kubernetes
    // ConfigMap) does: the file watcher stays on the old target and sees nothing, so only SIGHUP can apply it.
    let link: string;
    let gw: Served;
    const swap = (name: string, text: string) => {
      const target = join(dir, name);
      writeFileSync(target, text);
      symlinkSync(target, `${link}.new`);
      renameSync(`${link}.new`, link);
    };

    before(async () => {
      link = join(dir, 'current.yaml');
      writeFileSync(join(dir, 'v1.yaml'), yaml(1));
      symlinkSync(join(dir, 'v1.yaml'), link);
      gw = await serve(link);
      running.push(gw);
    });

    it('applies a valid new configuration, and refuses a broken one keeping the running config', async () => {
      assert.deepEqual(await statuses(gw.port, '127.0.31.1', 3), [200, 200, 429]);
      swap('v2.yaml', yaml(10));
      const applied = gw.events('config-reloaded').length;
      gw.child.kill('SIGHUP');
      await gw.nextEvent('config-reloaded', applied);
      assert.equal(await gw.runningBurst(), 10);
      assert.deepEqual(await statuses(gw.port, '127.0.31.1', 2), [200, 200]);

      swap('v3.yaml', 'listeners: [');
      const refusedBefore = gw.events('config-refused').length;
      gw.child.kill('SIGHUP');
      const refused = await gw.nextEvent('config-refused', refusedBefore);
      assert.match(refused.problems[0], /^.+current\.yaml:\d+:\d+: /);
      assert.equal(await gw.runningBurst(), 10);
      assert.equal((await call(gw.port, { path: '/limited', localAddress: '127.0.31.2' })).status, 200);
    });

    it('SIGINT drains and exits 0 too', async () => {
      gw.child.kill('SIGINT');
      assert.equal(await gw.exited, 0);
      assert.equal(gw.events('draining')[0]?.signal, 'SIGINT');
    });
  });

  describe('V8 flags for the serving threads', () => {
    it('split the young-generation budget over the threads the file asks for, down to a floor', () => {
      const semi = (threads: number) => flagsFor(threads).find((f) => f.startsWith('--max-semi-space-size='));
      assert.equal(semi(1), '--max-semi-space-size=16');
      assert.equal(semi(2), '--max-semi-space-size=8');
      assert.equal(semi(3), '--max-semi-space-size=5');
      assert.equal(semi(64), '--max-semi-space-size=4');
      const at = (name: string, text: string) => {
        const f = join(dir, name);
        writeFileSync(f, text);
        return threadsOf(f);
      };
      assert.equal(at('w3.yaml', 'workers: 3\n'), 3);
      assert.equal(at('wauto.yaml', 'listeners: []\nworkers: auto\n'), Math.max(1, availableParallelism()));
      assert.equal(at('wnone.yaml', 'listeners: []\n'), 1);
      assert.equal(at('wbad.yaml', 'workers: [\n'), 1, 'a file serve will refuse counts as one thread');
      assert.equal(at('wzero.yaml', 'workers: 0\n'), 1);
      assert.equal(threadsOf(join(dir, 'missing.yaml')), 1);
    });
  });

  describe('workers: 2', () => {
    it('one ready line; both threads serve a file reload; SIGTERM ends them all (exit 0)', async () => {
      const file = join(dir, 'workers.yaml');
      writeFileSync(file, `${yaml(1)}\nworkers: 2\n`);
      const gw = await serve(file);
      running.push(gw);
      assert.equal(gw.events('ready').length, 1);
      assert.equal(gw.events('started').length, 2, 'one started line per worker');
      // Two serving threads share the young-generation budget: half each.
      const procFile = `/proc/${gw.child.pid}/cmdline`;
      if (existsSync(procFile))
        assert.ok(readFileSync(procFile, 'utf8').split('\0').includes('--max-semi-space-size=8'));
      // New connections from one address land on either thread; the burst is counted once across them.
      assert.deepEqual(await statuses(gw.port, '127.0.31.1', 4), [200, 200, 429, 429]);
      writeFileSync(file, `${yaml(3)}\nworkers: 2\n`);
      await gw.burstBecomes(3);
      await until(
        async () =>
          (await statuses(gw.port, `127.0.32.${Date.now() % 200}`, 8)).filter((x) => x === 200).length === 4
            ? true
            : undefined,
        'burst 3 + 1 on every worker',
      );
      gw.child.kill('SIGTERM');
      assert.equal(await gw.exited, 0);
    });
  });
});

// A small JSON Schema (2020-12) checker for the keywords the generated schema uses: enough to show the
// printed schema is usable by an editor or CI validator, not a general validator.

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is arbitrary JSON
type Json = any;

function resolveRef(root: Json, ref: string): Json {
  assert.ok(ref.startsWith('#'), `only local refs: ${ref}`);
  let node = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = node?.[decodeURIComponent(part.replaceAll('~1', '/').replaceAll('~0', '~'))];
  }
  assert.ok(node !== undefined, `unresolved $ref ${ref}`);
  return node;
}

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

function assertWellFormed(root: Json, s: Json, path = '#'): void {
  if (typeof s === 'boolean') return;
  assert.equal(typeof s, 'object', `${path} is a schema`);
  if (s.$ref !== undefined) resolveRef(root, s.$ref);
  for (const t of [s.type ?? []].flat()) assert.ok(TYPES.has(t), `${path}: type ${t}`);
  if (s.required !== undefined && s.properties !== undefined)
    for (const k of s.required) assert.ok(k in s.properties, `${path}: required ${k} has no property`);
  if (s.pattern !== undefined) new RegExp(s.pattern, 'u');
  for (const [k, v] of Object.entries(s.properties ?? {})) assertWellFormed(root, v, `${path}/properties/${k}`);
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    for (const [i, v] of (s[key] ?? []).entries()) assertWellFormed(root, v, `${path}/${key}/${i}`);
  if (s.items !== undefined) assertWellFormed(root, s.items, `${path}/items`);
  if (typeof s.additionalProperties === 'object') assertWellFormed(root, s.additionalProperties, `${path}/additional`);
  for (const [k, v] of Object.entries(s.$defs ?? {})) assertWellFormed(root, v, `${path}/$defs/${k}`);
}

function typeOk(t: string, v: Json): boolean {
  switch (t) {
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'null':
      return v === null;
    default:
      return typeof v === t;
  }
}

function validate(root: Json, s: Json, v: Json, path = ''): string[] {
  if (s === true || s === undefined) return [];
  if (s === false) return [`${path}: not allowed`];
  if (s.$ref !== undefined) return validate(root, resolveRef(root, s.$ref), v, path);
  const out: string[] = [];
  const types = [s.type ?? []].flat();
  if (types.length > 0 && !types.some((t: string) => typeOk(t, v))) return [`${path}: not ${types.join('|')}`];
  if (s.enum !== undefined && !s.enum.some((e: Json) => e === v)) out.push(`${path}: not in enum`);
  if (s.const !== undefined && s.const !== v) out.push(`${path}: not ${s.const}`);
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${path}: < ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) out.push(`${path}: > ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) out.push(`${path}: <= ${s.exclusiveMinimum}`);
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) out.push(`${path}: shorter than ${s.minLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) out.push(`${path}: pattern`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
    if (s.items !== undefined)
      for (const [i, x] of v.entries()) out.push(...validate(root, s.items, x, `${path}[${i}]`));
  } else if (v !== null && typeof v === 'object') {
    for (const k of s.required ?? []) if (!(k in v)) out.push(`${path}.${k}: required`);
    for (const [k, x] of Object.entries(v)) {
      if (s.properties?.[k] !== undefined) out.push(...validate(root, s.properties[k], x, `${path}.${k}`));
      else if (s.additionalProperties === false) out.push(`${path}.${k}: unknown key ${k}`);
      else if (typeof s.additionalProperties === 'object')
        out.push(...validate(root, s.additionalProperties, x, `${path}.${k}`));
    }
  }
  if (s.allOf !== undefined) for (const x of s.allOf) out.push(...validate(root, x, v, path));
  if (s.anyOf !== undefined && !s.anyOf.some((x: Json) => validate(root, x, v, path).length === 0))
    out.push(`${path}: matches none of anyOf`);
  if (s.oneOf !== undefined && s.oneOf.filter((x: Json) => validate(root, x, v, path).length === 0).length !== 1)
    out.push(`${path}: does not match exactly one of oneOf`);
  return out;
}
