// The VM tier: boots Debian's kernel (which has IPVS; this machine's does not)
// once, runs the guest suite (test/vm/guest/*.guest.ts) inside it with
// mocha's JSON reporter, and turns every guest test into a test here, so a
// failure inside the VM fails `npm test` under its own name.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { ensureVmTools, runInVm, type VmResult } from '../../scripts/vm/vm';

const ROOT = path.resolve(__dirname, '../../..');
const GUEST_DIR = 'dist/test/vm/guest';
/**
 * The guest files, ipvs.guest.js first: it starts from a kernel without
 * ip_vs loaded (it tests that lvs_backend auto loads it); the others load it.
 */
function guestFiles(): string[] {
  const all = readdirSync(path.join(ROOT, GUEST_DIR)).filter((f) => f.endsWith('.guest.js'));
  const first = 'ipvs.guest.js';
  return [first, ...all.filter((f) => f !== first).sort()].map((f) => `${GUEST_DIR}/${f}`);
}

interface GuestTest {
  fullTitle: string;
  duration?: number;
  err: { message?: string; stack?: string };
}
interface GuestReport {
  stats: { tests: number; passes: number; failures: number };
  tests: GuestTest[];
}

describe('VM tier: IPVS on a real kernel', function () {
  this.timeout(1_500_000);
  let vm: VmResult;
  let report: GuestReport;

  before(async function () {
    const why = ensureVmTools((m) => console.log(`      ${m}`));
    if (why) {
      console.log(`      skipping the VM tier: qemu cannot run here: ${why}`);
      this.skip();
    }
    const job = [
      `cd ${JSON.stringify(ROOT)}`,
      `${process.execPath} node_modules/mocha/bin/mocha.js --no-config --exit --timeout 120000 ` +
        `--reporter json --reporter-option output=$KTS_VM_OUT/report.json ${guestFiles().join(' ')}`,
    ].join(' && ');
    vm = await runInVm({ job, timeoutS: 1200 });
    const tail = vm.console.split('\n').slice(-40).join('\n');
    const text = vm.files.get('report.json');
    if (!text)
      throw new Error(
        `the VM produced no report (job status ${vm.status ?? 'unknown'}${vm.timedOut ? ', timed out' : ''}); console:\n${tail}`,
      );
    report = JSON.parse(text) as GuestReport;
    console.log(
      `      VM: boot ${vm.bootMs ?? '?'} ms, whole tier ${vm.totalMs} ms, ${report.stats.passes}/${report.stats.tests} guest tests passed`,
    );
    // one test here per guest test, in the guest's order
    const suite = this.test!.parent!;
    for (const t of report.tests) {
      suite.addTest(
        new Mocha.Test(`[vm] ${t.fullTitle}`, () => {
          if (t.err && (t.err.message || t.err.stack))
            assert.fail(`${t.err.message}\n${t.err.stack ?? ''}\n--- VM console (tail):\n${tail}`);
        }),
      );
    }
  });

  it('the guest suite ran to the end inside the VM', () => {
    assert.equal(vm.timedOut, false, 'the VM timed out');
    assert.ok(
      report.stats.tests >= 9,
      `expected the whole guest suite, got ${report.stats.tests} tests`,
    );
    assert.equal(vm.status, report.stats.failures === 0 ? 0 : Math.min(report.stats.failures, 255));
  });
});
