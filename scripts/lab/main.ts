// `npm run lab -- <command>`: the lab's command line.
import { Command, InvalidArgumentError } from 'commander';
import { deploy, destroy } from './deploy';
import { Lab } from './lab';
import { formatStatus } from './status';
import { LAB_MODES, type LabMode } from './topology';

function labFrom(o: {
  prefix?: string;
  realServers?: number;
  subnet?: string;
  subnet2?: string;
  dir?: string;
  nodeless?: string;
  mode?: string;
}) {
  if (o.mode !== undefined && !(LAB_MODES as readonly string[]).includes(o.mode))
    throw new InvalidArgumentError(`--mode: ${LAB_MODES.join(' or ')}, not ${o.mode}`);
  return new Lab({
    mode: o.mode as LabMode | undefined,
    nodeless: o.nodeless ? o.nodeless.split(',') : undefined,
    prefix: o.prefix ?? process.env.LAB_PREFIX,
    realServers:
      o.realServers ??
      (process.env.LAB_REAL_SERVERS ? Number(process.env.LAB_REAL_SERVERS) : undefined),
    subnet: o.subnet,
    subnet2: o.subnet2,
    dir: o.dir ?? process.env.LAB_DIR,
  });
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

const program = new Command('lab')
  .description(
    'A lab of network namespaces: directors d1 d2, real servers rs1..rsN, client cl, gateway gw ' +
      '(--mode active-active: directors d1 d2 d3 announce the VIP by BGP to gw, the client behind gw)',
  )
  .option(
    '--mode <mode>',
    "active-passive (the VRRP pair, stack lab) or active-active (BGP ECMP, stack lab-aa); default: the running lab's",
  )
  .option('--prefix <name>', 'namespace prefix (namespaces are PREFIX-HOST)')
  .option('--real-servers <n>', 'number of real servers', int)
  .option('--subnet <cidr>', 'primary segment (default 198.51.100.0/24)')
  .option('--subnet2 <cidr>', 'second segment (default 203.0.113.0/24)')
  .option('--dir <path>', 'lab work folder (default .lab/PREFIX)')
  .option('--nodeless <hosts>', 'directors without Node.js, e.g. d2 (at lab up)')
  .option(
    '--install <mode>',
    'deploy with install: bundle | package (the .deb of npm run package:deb)',
  )
  .enablePositionalOptions()
  .showHelpAfterError();

const opts = () => program.opts();

program
  .command('up')
  .description('bring the lab up (idempotent)')
  .action(async () => {
    const lab = labFrom(opts());
    const r = await lab.up();
    console.log(r.already ? 'lab already up' : `lab up in ${r.seconds.toFixed(2)} s`);
    console.log(formatStatus(await lab.status()));
  });

program
  .command('down')
  .description('remove every namespace, process and file of the lab')
  .action(async () => {
    const r = labFrom(opts()).down();
    console.log(`lab down in ${r.seconds.toFixed(2)} s (${r.removed.length} namespaces removed)`);
  });

program
  .command('status')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const s = await labFrom(opts()).status();
    console.log(o.json ? JSON.stringify(s, null, 2) : formatStatus(s));
  });

program
  .command('exec')
  .description('run a command inside a lab host (or "ops", the operator namespace)')
  .argument('<host>')
  .argument('<cmd...>')
  .passThroughOptions()
  .action(async (host: string, cmd: string[]) => {
    process.exitCode = await labFrom(opts()).execInteractive(
      host,
      cmd[0] === '--' ? cmd.slice(1) : cmd,
    );
  });

program
  .command('cut')
  .description('drop traffic between two hosts at the switch (or between A and everyone)')
  .argument('<a>')
  .argument('[b]')
  .option('--segment <n>', 'only on this segment (0 or 1)', int)
  .action(async (a: string, b: string | undefined, o: { segment?: number }) => {
    await labFrom(opts()).cut(a, b, o.segment);
    console.log(`cut ${a} ${b ?? '(everyone)'}`);
  });

program
  .command('heal')
  .description('undo cuts (all, or those naming A [and B])')
  .argument('[a]')
  .argument('[b]')
  .action(async (a?: string, b?: string) => {
    const n = await labFrom(opts()).heal(a, b);
    console.log(`healed ${n} cut(s)`);
  });

program
  .command('deploy')
  .description(
    'the main job: lab up, then `pulumi up` of the lab stack (lab or lab-aa) with the real engine, then a summary',
  )
  .action(async () => {
    const lab = labFrom(opts());
    const r = await lab.up();
    console.log(r.already ? 'lab already up' : `lab up in ${r.seconds.toFixed(2)} s`);
    const install = opts().install as string | undefined;
    if (install !== undefined && install !== 'bundle' && install !== 'package')
      throw new InvalidArgumentError(`--install: bundle or package, not ${install}`);
    await deploy(lab, console.log, { install });
  });

program
  .command('destroy')
  .description('`pulumi destroy` of the lab stack, then tear the lab down')
  .action(async () => {
    const lab = labFrom(opts());
    // the lab comes down whatever destroy says (its error is still reported and fails the command)
    try {
      if ((await lab.status()).up) await destroy(lab);
    } finally {
      const r = lab.down();
      console.log(`lab down in ${r.seconds.toFixed(2)} s`);
    }
  });

const argv = process.argv.slice(2);
// `npm run lab` with no command (options only): the main job (lab up + deploy with the real engine)
const commands = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
if (!argv.some((a) => commands.has(a))) argv.push('deploy');

program.parseAsync(['node', 'lab', ...argv]).catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
