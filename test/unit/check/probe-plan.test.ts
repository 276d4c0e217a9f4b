// Which Host an HTTP_GET sends: keepalived 2.2.7 (check_http.c) takes the
// url's virtualhost, else the checker's, else the real server's, else the
// virtual server's.
import { strict as assert } from 'node:assert';
import { runProbe, type Probes } from '../../../daemon/check/probe-plan';
import type { HttpTarget } from '../../../daemon/check/probes';
import { parseText } from '../../../daemon/config/index';

async function hostSent(vs: string, rs: string, checker: string, url: string) {
  const r = parseText(
    `virtual_server 10.0.0.1 80 {\n lvs_sched rr\n protocol TCP\n${vs}\n real_server 127.0.0.1 80 {\n${rs}\n  HTTP_GET {\n${checker}\n   url {\n    path /\n${url}\n   }\n  }\n }\n}\n`,
  );
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  const v = r.config.virtual_server[0];
  const sent: HttpTarget[] = [];
  const never = async () => ({ ok: false as const });
  const probes: Probes = {
    tcp: never,
    http: async (t) => (sent.push(t), { ok: true }),
    script: never,
    dns: never,
    udp: never,
    ping: never,
    smtp: never,
  };
  const c = v.real_server[0].checkers[0];
  assert.ok(c.type === 'HTTP_GET');
  await runProbe(probes, v.real_server[0], c, v);
  return sent[0].virtualhost;
}

describe('HTTP_GET virtualhost precedence', () => {
  it('url, then checker, then real server, then virtual server, else none', async () => {
    const [vs, rs, ck, url] = [
      ' virtualhost vs.example.org',
      '  virtualhost rs.example.org',
      '   virtualhost ck.example.org',
      '    virtualhost url.example.org',
    ];
    assert.equal(await hostSent(vs, rs, ck, url), 'url.example.org');
    assert.equal(await hostSent(vs, rs, ck, ''), 'ck.example.org');
    assert.equal(await hostSent(vs, rs, '', ''), 'rs.example.org');
    assert.equal(await hostSent(vs, '', '', ''), 'vs.example.org');
    assert.equal(await hostSent('', '', '', ''), undefined);
  });
});
