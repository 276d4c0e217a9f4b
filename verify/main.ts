// npm run verify -- --stack NAME [--json] [--hard] [--scenarios a,b] [--out DIR]
// Verifies a deployed stack's failover over SSH (host keys pinned) and
// writes report.json + timeline.svg; prints a table (or the JSON with --json).
// Exit 0 = pass, 1 = fail, 2 = could not run. For the lab stack it runs
// itself inside the lab's ops namespace (lab commands never run in the root
// namespace).
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { managedRouter, parseClusterSpec, resolveSsh, type ClusterSpec } from '../components/spec';
import { projectRoot, readConfigFile, readStackSpec } from '../components/stack-file';
import { SshRemote, type HostEntry } from './remote';
import { renderSvg, renderTable, skipSteps } from './report';
import { defaultScenarios, verify, type Scenario } from './verify';

const REPO = projectRoot();
const SCENARIOS: Scenario[] = ['preflight', 'failover', 'crash', 'rs', 'active-active'];

export function hostsOf(
  spec: ClusterSpec,
  hostKeys: Record<string, string>,
): Record<string, HostEntry> {
  const out: Record<string, HostEntry> = {};
  const probe = spec.failoverCheck.probeHost;
  const router = managedRouter(spec);
  for (const h of [
    ...spec.directors,
    ...spec.realServers,
    ...(probe ? [probe] : []),
    ...(router ? [router] : []),
  ])
    out[h.name] = { address: h.ssh, hostKey: hostKeys[h.name] };
  return out;
}

function fromStackFile(stack: string, stacksDir?: string) {
  const spec = stacksDir ? readStackSpec(stack, path.resolve(stacksDir)) : readStackSpec(stack);
  const ssh = resolveSsh(spec, readConfigFile);
  if (ssh.privateKey.startsWith('<secret:'))
    throw new Error(
      `stack ${stack}: the SSH key is a Pulumi secret; verify through \`pulumi up\` (FailoverCheck) or give ssh.privateKeyFile`,
    );
  return { spec, ssh };
}

function fromStdin() {
  const j = JSON.parse(readFileSync(0, 'utf8')) as {
    spec: unknown;
    ssh: { user: string; port: number; privateKey: string; hostKeys: Record<string, string> };
  };
  return { spec: parseClusterSpec(j.spec), ssh: j.ssh };
}

async function main() {
  const cmd = new Command('verify-failover')
    .description('verify failover of a deployed director pair and real-server pool')
    .requiredOption(
      '--stack <name>',
      'stack whose declaration (stacks/Pulumi.<name>.yaml) was deployed',
    )
    .option('--json', 'print the JSON report instead of the table')
    .option('--hard', 'take the master’s links down instead of stopping its daemon')
    .option(
      '--scenarios <list>',
      `comma-separated: ${SCENARIOS.join(',')} (default: preflight,failover,rs; active-active for mode: active-active)`,
    )
    .option('--no-probe', 'run without the client probe host')
    .option('--out <dir>', 'where report.json and timeline.svg go (default .verify/<stack>)')
    .option('--stacks-dir <dir>', 'read Pulumi.<stack>.yaml from here instead of stacks/')
    .option(
      '--skip <names>',
      'comma-separated step names (or parts) to leave out of the verdict, e.g. "client outage"',
    )
    .option(
      '--spec-stdin',
      'read the declaration and SSH access as JSON from stdin (FailoverCheck: as the engine decrypted them)',
    )
    .option(
      '--netns <name>',
      'run inside this network namespace (default for the lab stack: lab-ops)',
    )
    .parse();
  const o = cmd.opts<{
    stack: string;
    json?: boolean;
    hard?: boolean;
    scenarios?: string;
    probe: boolean;
    out?: string;
    netns?: string;
    stacksDir?: string;
    specStdin?: boolean;
    skip?: string;
  }>();

  const netns = o.netns ?? (o.stack === 'lab' ? 'lab-ops' : undefined);
  if (netns && !process.env.KEEPALIVE_VERIFY_IN_NETNS) {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', netns, process.execPath, __filename, ...process.argv.slice(2)],
      {
        stdio: 'inherit',
        env: { ...process.env, KEEPALIVE_VERIFY_IN_NETNS: netns },
      },
    );
    process.exit(r.status ?? 2);
  }

  const { spec, ssh } = o.specStdin ? fromStdin() : fromStackFile(o.stack, o.stacksDir);
  const named = o.scenarios ?? defaultScenarios(spec.mode).join(',');
  const scenarios = named.split(',').map((s) => s.trim()) as Scenario[];
  const unknown = scenarios.filter((s) => !SCENARIOS.includes(s));
  if (unknown.length)
    throw new Error(`--scenarios: unknown ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  const remote = new SshRemote(hostsOf(spec, ssh.hostKeys), {
    user: ssh.user,
    port: ssh.port,
    privateKey: ssh.privateKey,
  });
  try {
    const measured = await verify({
      spec,
      stack: o.stack,
      remote,
      probeHost: o.probe ? spec.failoverCheck.probeHost?.name : undefined,
      routerHost: managedRouter(spec)?.name,
      scenarios,
      hard: o.hard ?? spec.failoverCheck.hard,
      probeSeconds: spec.failoverCheck.probeSeconds,
      // progress on stderr always (stdout carries only the table or the JSON)
      log: (m) => console.error(`verify: ${m}`),
    });
    const report = skipSteps(
      measured,
      (o.skip ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );
    const out = path.resolve(REPO, o.out ?? path.join('.verify', o.stack));
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(path.join(out, 'timeline.svg'), renderSvg(report));
    if (o.json) {
      const { timeline: _t, ...summary } = report;
      void _t;
      console.log(JSON.stringify(summary, null, 2));
      // people read the table (FailoverCheck shows stderr in the update, keeps stdout as the output)
      console.error(renderTable(report));
    } else {
      console.log(renderTable(report));
      console.log(
        `report: ${path.join(out, 'report.json')}, timeline: ${path.join(out, 'timeline.svg')}`,
      );
    }
    process.exitCode = report.verdict === 'pass' ? 0 : 1;
  } finally {
    await remote.close();
  }
}

main().catch((e: Error) => {
  console.error(`verify-failover: ${e.message}`);
  process.exit(2);
});
