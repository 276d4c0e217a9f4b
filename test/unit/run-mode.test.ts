// Which command lines spawn the VRRP thread before anything else loads.
import { strict as assert } from 'node:assert';
import { runsVrrp } from '../../daemon/run-mode';

describe('run mode (read before the command line is parsed)', () => {
  it('a daemon run with VRRP prespawns; tests, status, help and checkers-only do not', () => {
    const yes = [[], ['-f', '/etc/k.conf', '-n', '-l'], ['-P'], ['-C', '-P'], ['--vrrp', '-D']];
    const no = [
      ['-t', '-f', 'x.conf'],
      ['--config-test'],
      ['--dump-config', '-f', 'x'],
      ['status', '--json'],
      ['events', '--follow'],
      ['drain', '--reason', 'maintenance', '--control', '/run/k.sock'],
      ['undrain'],
      ['-h'],
      ['--version'],
      ['-C', '-f', 'x.conf'],
      ['--check'],
    ];
    for (const a of yes) assert.equal(runsVrrp(a), true, a.join(' '));
    for (const a of no) assert.equal(runsVrrp(a), false, a.join(' '));
  });
});
