// Zero silent ignores: every keepalived keyword keepalive-ts does not act on
// warns "not supported by keepalive-ts (...)" at its file and line, in the
// section keepalived has it (keywords/unsupported.ts), and `-t --strict`
// fails on it.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UNSUPPORTED_ROWS, unsupportedMessage } from '../../../daemon/config/keywords/unsupported';
import { instance, parse } from './helpers';

describe('keywords keepalive-ts does not implement', () => {
  it('warn with the reason at the keyword line, and a block of them is skipped whole', () => {
    const r = parse(
      'net_namespace lb {\n certificate /x\n}\nglobal_defs {\n tmp_config_directory /tmp\n}\n',
    );
    assert.deepEqual(r.diags, [
      '1 warning net_namespace: not supported by keepalive-ts (run keepalive-ts inside the namespace: ip netns exec NAME keepalive-ts ...)',
      '5 warning tmp_config_directory: not supported by keepalive-ts (the config is read once by one process)',
    ]);
    assert.equal(r.ok, true);
  });

  it('are unknown keywords outside the section keepalived has them in', () => {
    assert.deepEqual(parse('tmp_config_directory /tmp\n').diags, [
      "1 warning unknown keyword 'tmp_config_directory'",
    ]);
  });

  it('no keyword is read and left unused any more (no declared rows); sorry_server_inhibit is read', () => {
    assert.deepEqual(
      UNSUPPORTED_ROWS.filter((r) => r.declared).map((r) => r.keywords),
      [],
    );
    const r = parse(
      'virtual_server 10.0.0.1 80 {\n lvs_sched rr\n protocol TCP\n sorry_server 10.0.1.9 80\n sorry_server_inhibit\n real_server 10.0.1.1 80 {\n }\n}\n',
    );
    assert.ok(!r.diags.some((d) => d.includes('not supported')), r.diags.join('\n'));
    assert.equal(r.config.virtual_server[0].sorry_server_inhibit, true);
  });

  it('checker rows hold in every checker, HTTP_GET rows in SSL_GET too', () => {
    assert.match(
      unsupportedMessage(['virtual_server', 'real_server', 'PING_CHECK'], 'bind_port') ?? '',
      /^bind_port: not supported by keepalive-ts \(ICMP has no ports/,
    );
    for (const t of ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'UDP_CHECK', 'DNS_CHECK', 'PING_CHECK'])
      for (const k of ['bind_if', 'fwmark', ...(t === 'PING_CHECK' ? [] : ['bind_port'])])
        assert.equal(unsupportedMessage(['virtual_server', 'real_server', t], k), undefined);
    assert.equal(unsupportedMessage(['virtual_server', 'real_server'], 'BFD_CHECK'), undefined);
    for (const k of ['http_protocol', 'fast_recovery'])
      assert.equal(unsupportedMessage(['virtual_server', 'real_server', 'SSL_GET'], k), undefined);
    for (const k of ['regex', 'regex_options', 'regex_stack'])
      assert.equal(
        unsupportedMessage(['virtual_server', 'real_server', 'SSL_GET', 'url'], k),
        undefined,
      );
  });

  it('keywords being implemented elsewhere, and keepalived no-ops, stay silent', () => {
    const r = parse(
      'global_defs {\n notification_email {\n  a@example.org\n }\n notification_email_from k@example.org\n smtp_server 10.0.0.25\n smtp_connect_timeout 10\n script_user nobody\n enable_script_security\n}\n' +
        instance(' smtp_alert\n debug 2\n accept\n native_ipv6 no'),
    );
    assert.deepEqual(r.diags, []);
  });

  it('each keyword appears once per section, with a reason', () => {
    const seen = new Set<string>();
    for (const row of UNSUPPORTED_ROWS) {
      assert.ok(row.why.length > 10, `${row.section}: ${row.keywords.join(' ')}`);
      for (const k of row.keywords) {
        const key = `${row.section} ${k}`;
        assert.ok(!seen.has(key), `${key} twice`);
        seen.add(key);
      }
    }
  });

  it('keepalive-ts -t --strict fails on them; -t alone passes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kts-unsupported-'));
    try {
      const f = path.join(dir, 'k.conf');
      writeFileSync(f, 'global_defs {\n enable_traps\n}\n');
      const bin = path.resolve(__dirname, '../../../../bin/keepalive-ts');
      const run = (args: string[]) =>
        spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
      const plain = run(['-t', '-f', f]);
      assert.equal(plain.status, 0, plain.stderr);
      assert.match(
        plain.stderr,
        /k\.conf:2: warning: enable_traps: not supported by keepalive-ts \(/,
      );
      assert.equal(run(['-t', '--strict', '-f', f]).status, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
