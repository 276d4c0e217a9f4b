// `npm run render -- --stack NAME --out DIR`: every host's files from a
// stack's declaration, written under DIR/<host>/..., deploying nothing: for
// review in pull requests and for diffing environments.
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderCluster, type HostFile } from '../components/render';
import { SpecError } from '../components/spec';
import { readStackSpec } from '../components/stack-file';

const o = new Command('render')
  .requiredOption('--stack <name>')
  .requiredOption('--out <dir>')
  .parse()
  .opts();

try {
  const spec = readStackSpec(o.stack);
  const r = renderCluster(spec, o.stack);
  const write = (host: string, f: HostFile | undefined) => {
    if (!f || !f.content) return;
    const p = path.join(o.out, host, f.path);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, f.content, { mode: f.mode });
    console.log(`${host}: ${f.path}`);
  };
  for (const d of r.directors) for (const f of [d.config, d.sysctl, d.unit]) write(d.name, f);
  for (const s of r.realServers) for (const f of [s.sysctl, s.vipScript, s.unit]) write(s.name, f);
} catch (e) {
  console.error(e instanceof SpecError ? e.issues.join('\n') : (e as Error).message);
  process.exit(1);
}
