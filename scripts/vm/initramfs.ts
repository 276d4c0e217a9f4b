// The VM's initramfs: busybox-static, the few modules needed to reach the
// host's root over virtio-9p, and an /init that mounts it read-only under a
// tmpfs overlay, chroots and runs the job the host left in the out share.
// Planning (module order, /init text) is pure; buildInitramfs() does the I/O.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** What /init loads, in this order after dependencies: virtio-pci, 9p over virtio, overlayfs. */
export const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

/** 9p mount tags shared between runInVm() and /init */
export const TAG = { root: 'hostroot', out: 'vmout' } as const;
/** where the out share appears inside the guest's root */
export const GUEST_OUT = '/vm-out';
/** console markers the host looks for when the out share cannot tell */
export const MARK = { start: 'KTS-VM-JOB-START', end: 'KTS-VM-JOB-END rc=' } as const;

const modName = (p: string) => path.basename(p).replace(/\.ko(\.[a-z]+)?$/, '');

/**
 * Module files (paths relative to /lib/modules/VERSION) in load order for
 * `wanted`, from the text of modules.dep: every module after its dependencies,
 * each once. Throws naming a module the kernel does not ship.
 */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    deps.set(modName(m[1]), { file: m[1], deps: m[2].split(/\s+/).filter(Boolean).map(modName) });
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, chain: string[]) => {
    if (seen.has(name)) return;
    const d = deps.get(name);
    if (!d)
      throw new Error(
        `module ${name} is not in modules.dep (needed by ${chain.join(' <- ') || 'the VM'})`,
      );
    if (chain.includes(name))
      throw new Error(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    // modules.dep lists the full closure; visiting recursively still orders it correctly
    for (const dep of d.deps) visit(dep, [...chain, name]);
    seen.add(name);
    out.push(d.file);
  };
  for (const w of wanted) visit(w, []);
  return out;
}

/** /init for busybox sh. The job is /vm-out/job.sh (written by the host); its status goes to /vm-out/rc. */
export function initScript(modules: readonly string[]): string {
  const insmods = modules.map((m) => `insmod /modules/${path.basename(m)} || fail "insmod ${m}"`);
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fail() { echo "kts-vm: $*"; echo "${MARK.end}99"; sync; poweroff -f; }
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
${insmods.join('\n')}
mkdir -p /host /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=1048576,cache=loose ${TAG.root} /host || fail "mount ${TAG.root}"
mount -t tmpfs -o size=70% tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "overlay"
for d in proc sys dev run tmp ${GUEST_OUT.slice(1)}; do mkdir -p /newroot/$d; done
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mount -t tmpfs tmpfs /newroot/run
# /tmp stays the host's (through the overlay, so writes stay in the VM): a checkout under /tmp is visible
mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576 ${TAG.out} /newroot${GUEST_OUT} || fail "mount ${TAG.out}"
# the kernel's module autoloader runs in this (initramfs) root: send it into the host's root
printf '#!/bin/busybox sh\nexec /bin/busybox chroot /newroot /sbin/modprobe "$@"\n' > /bin/modprobe-host
chmod 755 /bin/modprobe-host
echo /bin/modprobe-host > /proc/sys/kernel/modprobe
ip link set lo up
hostname kts-vm
echo "${MARK.start}"
chroot /newroot /usr/bin/env -i PATH=$PATH HOME=/root TERM=dumb /bin/sh ${GUEST_OUT}/job.sh
rc=$?
echo $rc > /newroot${GUEST_OUT}/rc
sync
echo "${MARK.end}$rc"
# isa-debug-exit ends qemu at once; poweroff is the fallback
printf '\\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
`;
}

/** True when the ELF file asks for no program interpreter (statically linked). */
export function isStaticElf(bytes: Buffer): boolean {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46) return false;
  const phoff = Number(bytes.readBigUInt64LE(32));
  const phentsize = bytes.readUInt16LE(54);
  const phnum = bytes.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (o + 4 > bytes.length) return false;
    if (bytes.readUInt32LE(o) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

/** Writes the initramfs (a newc cpio archive) for kernel `version` and returns its path. */
export function buildInitramfs(version: string, busybox: string, outFile: string): string {
  const modDir = `/lib/modules/${version}`;
  const order = moduleLoadOrder(readFileSync(`${modDir}/modules.dep`, 'utf8'), BOOT_MODULES);
  const stage = mkdtempSync(path.join(tmpdir(), 'kts-initramfs-'));
  try {
    for (const d of ['bin', 'modules', 'proc', 'sys', 'dev']) mkdirSync(path.join(stage, d));
    copyFileSync(busybox, path.join(stage, 'bin/busybox'));
    for (const m of order)
      copyFileSync(path.join(modDir, m), path.join(stage, 'modules', path.basename(m)));
    writeFileSync(path.join(stage, 'init'), initScript(order), { mode: 0o755 });
    const list = execFileSync('find', ['.', '-mindepth', '1'], { cwd: stage, encoding: 'utf8' });
    const cpio = execFileSync(busybox, ['cpio', '-o', '-H', 'newc'], {
      cwd: stage,
      input: list,
      maxBuffer: 256 << 20,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    writeFileSync(outFile, cpio);
    return outFile;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
