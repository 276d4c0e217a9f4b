// The dependency rules of the house, checked on the source itself: no import
// cycle; each daemon subsystem imports only the subsystems below it; the
// suite and the verifier use only the daemon's shared parts; no source file
// grows past ~450 lines.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const SOURCE_DIRS = ['daemon', 'components', 'verify', 'scripts', 'stacks'];

/** daemon/<subsystem> -> the subsystems it may import (besides itself) */
const DAEMON_LAYERS: Record<string, string[]> = {
  core: [],
  config: ['core'],
  net: ['core'],
  system: ['core', 'net'],
  dataplane: ['core', 'net'],
  bfd: ['core', 'config', 'net', 'system'],
  vrrp: ['core', 'config', 'net', 'system', 'bfd'],
  check: ['core', 'config', 'net', 'dataplane'],
  control: ['core', 'config', 'vrrp', 'check', 'system', 'bgp'],
  bgp: ['core'],
};

/** what the suite (components/) and the verifier (verify/) may take from the daemon */
const SHARED = [
  /^daemon\/core\//,
  /^daemon\/config\/model\.ts$/,
  /^daemon\/vrrp\/fsm\.ts$/,
  /^daemon\/check\/verdict\.ts$/,
  /^daemon\/bgp\/(announce|timing)\.ts$/,
];

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((f) => {
    const rel = path.join(dir, f);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Relative imports of a file, resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms),
    ...text.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => {
      const base = path.join(path.dirname(file), s.replace(/\.js$/, ''));
      return [`${base}.ts`, path.join(base, 'index.ts')].find((f) =>
        existsSync(path.join(ROOT, f)),
      )!;
    })
    .filter(Boolean);
}

const files = SOURCE_DIRS.flatMap(sources);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('architecture: the dependency rules', () => {
  it('reads the tree (a rule checked on nothing proves nothing)', () => {
    assert.ok(files.length > 80, `${files.length} source files`);
    assert.ok(graph.get('daemon/runtime.ts')!.includes('daemon/vrrp/thread.ts'));
  });

  it('has no import cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) visit(g, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it('a daemon subsystem imports only the subsystems below it', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      const from = /^daemon\/([^/]+)\//.exec(f)?.[1];
      if (!from || !(from in DAEMON_LAYERS)) continue;
      for (const d of deps) {
        const to = /^daemon\/([^/]+)\//.exec(d)?.[1];
        if (!d.startsWith('daemon/') || (to !== from && !(to && DAEMON_LAYERS[from].includes(to))))
          bad.push(`${f} -> ${d}`);
      }
    }
    assert.deepEqual(
      Object.keys(DAEMON_LAYERS).sort(),
      readdirSync(path.join(ROOT, 'daemon'))
        .filter((d) => statSync(path.join(ROOT, 'daemon', d)).isDirectory())
        .sort(),
      'every daemon folder has a rule',
    );
    assert.deepEqual(bad, []);
  });

  it('the suite and the verifier use only the daemon’s shared parts', () => {
    const bad = [...graph]
      .filter(([f]) => /^(components|verify|stacks)\//.test(f))
      .flatMap(([f, deps]) =>
        deps
          .filter((d) => d.startsWith('daemon/') && !SHARED.some((r) => r.test(d)))
          .map((d) => `${f} -> ${d}`),
      );
    assert.deepEqual(bad, []);
  });

  it('no source file is over 450 lines', () => {
    const long = files
      .map((f) => ({ f, n: readFileSync(path.join(ROOT, f), 'utf8').split('\n').length }))
      .filter((x) => x.n > 450)
      .map((x) => `${x.f}: ${x.n}`);
    assert.deepEqual(long, []);
  });
});
