import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { initScript, isStaticElf, moduleLoadOrder } from '../../scripts/vm/initramfs';

const DEP = `kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/netfs/netfs.ko:
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/fs/overlayfs/overlay.ko:
`;

describe('vm initramfs planning', () => {
  it('orders every module after its dependencies, each once', () => {
    const order = moduleLoadOrder(DEP, ['9pnet_virtio', '9p', 'overlay']).map((f) =>
      f.replace(/^.*\//, '').replace('.ko', ''),
    );
    assert.equal(new Set(order).size, order.length);
    assert.deepEqual(
      new Set(order),
      new Set([
        '9pnet',
        'virtio_ring',
        'virtio',
        '9pnet_virtio',
        'netfs',
        'fscache',
        '9p',
        'overlay',
      ]),
    );
    const before = (a: string, b: string) =>
      assert.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b}: ${order}`);
    before('9pnet', '9pnet_virtio');
    before('virtio', '9pnet_virtio');
    before('netfs', 'fscache');
    before('fscache', '9p');
    before('9pnet', '9p');
  });

  it('names a module the kernel does not ship and who needed it', () => {
    assert.throws(
      () => moduleLoadOrder('kernel/a.ko: kernel/b.ko\n', ['a']),
      /module b is not in modules.dep \(needed by a\)/,
    );
  });

  it('loads the modules in the given order and runs the job from the out share', () => {
    const s = initScript(['kernel/x/first.ko', 'kernel/y/second.ko']);
    assert.ok(s.indexOf('insmod /modules/first.ko') < s.indexOf('insmod /modules/second.ko'));
    assert.match(s, /chroot \/newroot .* \/vm-out\/job\.sh/);
    assert.match(s, /echo \$rc > \/newroot\/vm-out\/rc/);
  });

  it("hides none of the host's paths: a checkout under /tmp is visible in the guest", () => {
    const s = initScript([]);
    // only the guest's own kernel file systems are mounted over the host's tree
    const over = [...s.matchAll(/^mount .* \/newroot(\/\S*)( \|\|.*)?$/gm)].map((m) => m[1]);
    assert.deepEqual(over.sort(), ['/dev', '/proc', '/run', '/sys', '/vm-out']);
  });

  it('tells a static ELF from a dynamic one', () => {
    // node is dynamically linked on every Debian machine
    assert.equal(isStaticElf(readFileSync(process.execPath)), false);
    assert.equal(isStaticElf(Buffer.from('#!/bin/sh\n')), false);
    // a minimal ELF64 header with no program headers has no interpreter
    const elf = Buffer.alloc(64);
    elf.writeUInt32BE(0x7f454c46, 0);
    elf.writeBigUInt64LE(64n, 32);
    elf.writeUInt16LE(56, 54);
    elf.writeUInt16LE(0, 56);
    assert.equal(isStaticElf(elf), true);
    // ...and one PT_INTERP header makes it dynamic
    const dyn = Buffer.concat([elf, Buffer.alloc(56)]);
    dyn.writeUInt16LE(1, 56);
    dyn.writeUInt32LE(3, 64);
    assert.equal(isStaticElf(dyn), false);
  });
});
