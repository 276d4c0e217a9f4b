// npm run vm -- [--timeout S] [--quiet] 'shell job'
// Runs the job inside the IPVS-capable VM (see vm.ts) from the repository's
// directory, streams the console and exits with the job's status.
import { Command } from 'commander';
import * as path from 'node:path';
import { ensureVmTools, runInVm } from './vm';

const ROOT = path.resolve(__dirname, '../../..');

async function main() {
  const cmd = new Command('vm')
    .description("run a shell job inside a VM booted from Debian's kernel (IPVS, modules)")
    .argument('<job...>', 'shell command line run from the repository directory')
    .option('--timeout <s>', 'limit for the whole run, boot included', '300')
    .option('--quiet', 'print only the job result, not the console')
    .parse();
  const opts = cmd.opts<{ timeout: string; quiet?: boolean }>();
  const why = ensureVmTools((m) => console.error(m));
  if (why) {
    console.error(`vm: cannot run: ${why}`);
    process.exit(2);
  }
  const r = await runInVm({
    job: `cd ${JSON.stringify(ROOT)} && ${cmd.args.join(' ')}`,
    timeoutS: Number(opts.timeout),
    onConsole: opts.quiet ? undefined : (s) => process.stdout.write(s),
  });
  console.error(
    `vm: ${r.timedOut ? 'timed out' : `job exited ${r.status ?? '(unknown)'}`}; boot ${r.bootMs ?? '?'} ms, total ${r.totalMs} ms`,
  );
  process.exit(r.status ?? 1);
}

main().catch((e: Error) => {
  console.error(`vm: ${e.message}`);
  process.exit(1);
});
