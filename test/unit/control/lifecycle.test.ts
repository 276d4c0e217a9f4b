// startup_script / shutdown_script: run through the script gate, bounded by
// their timeouts (keepalived's default 10 s, range 1-1000), status logged.
import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseText } from '../../../daemon/config/index';
import { runLifecycleScript } from '../../../daemon/control/lifecycle';

describe('startup_script / shutdown_script', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kts-life-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const global = (body: string) => parseText(`global_defs {\n${body}\n}\n`).config.global_defs;

  it('defaults to 10 s; runs the script with its arguments; none configured runs nothing', async () => {
    const g = global('');
    assert.equal(g.startup_script_timeout, 10);
    assert.equal(g.shutdown_script_timeout, 10);
    assert.equal(await runLifecycleScript('startup', g, () => {}), undefined);
    const out = path.join(dir, 'out');
    const s = path.join(dir, 's.sh');
    writeFileSync(s, `#!/bin/sh\necho "$*" >> ${out}\nexit 3\n`);
    chmodSync(s, 0o755);
    const logs: string[] = [];
    const g2 = global(` startup_script "${s} up now"\n shutdown_script "${s} down"`);
    assert.equal(await runLifecycleScript('startup', g2, (_l, m) => logs.push(m)), 3);
    assert.equal(await runLifecycleScript('shutdown', g2, () => {}), 3);
    assert.equal(readFileSync(out, 'utf8'), 'up now\ndown\n');
    assert.ok(logs.includes('startup script failed, status 3'), logs.join('\n'));
  });

  it('kills a script that outlives its timeout', async () => {
    const g = global(' shutdown_script "/bin/sleep 30"\n shutdown_script_timeout 1');
    const t0 = Date.now();
    const logs: string[] = [];
    assert.equal(await runLifecycleScript('shutdown', g, (_l, m) => logs.push(m)), 124);
    const ms = Date.now() - t0;
    assert.ok(ms >= 950 && ms < 2500, `${ms} ms`);
    assert.match(logs.join('\n'), /timed out after 1 s/);
  });

  it('rejects timeouts outside 1-1000 as keepalived does', () => {
    const r = parseText('global_defs {\n startup_script_timeout 0\n}\n');
    assert.ok(r.diagnostics.some((d) => d.level === 'error'));
  });
});

describe('notify_deleted (vrrp_instance only, as in keepalived 2.2.7)', () => {
  const inst = (line: string) =>
    parseText(
      `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n${line}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`,
    );
  it('bare, or with a script and user', () => {
    assert.deepEqual(inst(' notify_deleted').config.vrrp_instance[0].notify_deleted, {});
    assert.deepEqual(
      inst(' notify_deleted "/bin/x a" nobody').config.vrrp_instance[0].notify_deleted,
      {
        script: { cmd: '/bin/x a', user: 'nobody' },
      },
    );
    assert.equal(inst('').config.vrrp_instance[0].notify_deleted, undefined);
  });
  it('in a vrrp_sync_group it is unknown to keepalived 2.2.7 and not supported here', () => {
    const r = parseText(
      'vrrp_sync_group G {\n group {\n  VI_1\n }\n notify_deleted\n}\n' +
        'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n',
    );
    assert.ok(
      r.diagnostics.some((d) => /notify_deleted: not supported by keepalive-ts/.test(d.message)),
    );
  });
});
