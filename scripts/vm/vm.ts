// Runs a shell job inside a throwaway VM: Debian's stock kernel under qemu
// (software emulation, no NIC), this machine's root shared read-only over
// virtio-9p under a tmpfs overlay. For what this machine's kernel lacks (IPVS).
// Bounded in time (qemu under `timeout`, then SIGKILL of its process group);
// leaves no process and no temporary file behind.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildInitramfs, GUEST_OUT, isStaticElf, MARK, TAG } from './initramfs';

/** Debian packages the VM needs, by the file that shows each is installed */
const PACKAGES: [file: string, pkg: string][] = [
  ['/usr/bin/qemu-system-x86_64', 'qemu-system-x86'],
  ['/usr/sbin/ipvsadm', 'ipvsadm'],
];
const KERNEL_PACKAGE = 'linux-image-amd64';
const BUSYBOX_STATIC = 'busybox-static';

export interface Kernel {
  version: string;
  image: string;
}

/** The newest /boot/vmlinuz-* whose modules are installed. */
export function findKernel(): Kernel | undefined {
  if (!existsSync('/boot')) return undefined;
  const versions = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => existsSync(`/lib/modules/${v}/modules.dep`))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  return versions[0] ? { version: versions[0], image: `/boot/vmlinuz-${versions[0]}` } : undefined;
}

function staticBusybox(): string | undefined {
  for (const p of ['/bin/busybox', '/usr/bin/busybox'])
    if (existsSync(p) && isStaticElf(readFileSync(p))) return p;
  return undefined;
}

/**
 * Installs what is missing (qemu, ipvsadm, Debian's kernel, a static busybox)
 * from Debian's packages. Returns why the VM cannot run, or undefined when it can.
 */
export function ensureVmTools(log: (m: string) => void = () => {}): string | undefined {
  const missing = PACKAGES.filter(([f]) => !existsSync(f)).map(([, p]) => p);
  if (!findKernel()) missing.push(KERNEL_PACKAGE);
  if (!staticBusybox()) missing.push(BUSYBOX_STATIC);
  if (missing.length) {
    log(`vm: installing ${missing.join(' ')}`);
    const apt = (args: string[]) =>
      execFileSync('apt-get', args, {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 600_000,
      });
    const install = ['install', '-y', '-qq', '--no-install-recommends', ...missing];
    try {
      try {
        apt(install);
      } catch {
        apt(['update', '-qq']); // a fresh machine may have no package lists yet
        apt(install);
      }
    } catch (e) {
      return `apt-get install ${missing.join(' ')} failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
    }
  }
  if (!existsSync('/usr/bin/qemu-system-x86_64')) return 'qemu-system-x86_64 is not installed';
  if (!findKernel()) return 'no kernel image with modules in /boot';
  if (!staticBusybox()) return 'no statically linked busybox';
  return undefined;
}

export interface VmOptions {
  /** shell script run as root inside the VM (in the host's root, via chroot) */
  job: string;
  /** whole run, boot included */
  timeoutS?: number;
  memoryMiB?: number;
  cpus?: number;
  /** called with console output as it arrives */
  onConsole?: (chunk: string) => void;
}

export interface VmResult {
  /** the job's exit status; undefined when it never finished (timeout, boot failure) */
  status?: number;
  console: string;
  /** files the job wrote to $KTS_VM_OUT (name -> contents) */
  files: Map<string, string>;
  bootMs?: number;
  totalMs: number;
  timedOut: boolean;
}

/** Boots the VM, runs the job, returns its status, console and output files. */
export async function runInVm(o: VmOptions): Promise<VmResult> {
  const kernel = findKernel();
  const busybox = staticBusybox();
  if (!kernel || !busybox)
    throw new Error('vm: run ensureVmTools() first (no kernel or static busybox)');
  const work = mkdtempSync(path.join(tmpdir(), 'kts-vm-'));
  const out = path.join(work, 'out');
  const t0 = Date.now();
  try {
    execFileSync('mkdir', ['-m', '0777', out]);
    const initrd = buildInitramfs(kernel.version, busybox, path.join(work, 'initrd.cpio'));
    writeFileSync(path.join(out, 'job.sh'), `export KTS_VM_OUT=${GUEST_OUT}\n${o.job}\n`);
    const timeoutS = o.timeoutS ?? 300;
    const args = [
      '-k',
      '5',
      String(timeoutS),
      'qemu-system-x86_64',
      '-M',
      'pc',
      '-accel',
      'tcg',
      '-cpu',
      'max',
      '-smp',
      String(o.cpus ?? 2),
      '-m',
      String(o.memoryMiB ?? 1536),
      '-nic',
      'none',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'stdio',
      '-no-reboot',
      '-kernel',
      kernel.image,
      '-initrd',
      initrd,
      '-append',
      'console=ttyS0 panic=-1 quiet loglevel=3',
      '-fsdev',
      `local,id=${TAG.root},path=/,readonly=on,security_model=none,multidevs=remap`,
      '-device',
      `virtio-9p-pci,fsdev=${TAG.root},mount_tag=${TAG.root}`,
      '-fsdev',
      `local,id=${TAG.out},path=${out},security_model=none`,
      '-device',
      `virtio-9p-pci,fsdev=${TAG.out},mount_tag=${TAG.out}`,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ];
    let consoleText = '';
    let bootMs: number | undefined;
    const child = spawn('timeout', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (b: Buffer) => {
      const s = b.toString('utf8');
      consoleText += s;
      if (bootMs === undefined && consoleText.includes(MARK.start)) bootMs = Date.now() - t0;
      o.onConsole?.(s);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const code: number = await new Promise((resolve) => {
      const killAll = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      process.once('exit', killAll);
      child.on('close', (c) => {
        process.removeListener('exit', killAll);
        killAll(); // whatever is left of the process group
        resolve(c ?? -1);
      });
    });
    const files = new Map<string, string>();
    for (const f of readdirSync(out)) {
      if (f === 'job.sh') continue;
      files.set(f, readFileSync(path.join(out, f), 'utf8'));
    }
    const rcFile = files.get('rc');
    const marker = new RegExp(`${MARK.end}(\\d+)`).exec(consoleText);
    const status =
      rcFile !== undefined ? Number(rcFile.trim()) : marker ? Number(marker[1]) : undefined;
    return {
      status,
      console: consoleText,
      files,
      bootMs,
      totalMs: Date.now() - t0,
      timedOut: code === 124 || code === 137,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
