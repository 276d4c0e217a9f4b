// SMTP alerts: which events make which mail (keepalived 2.2.7's subjects and
// bodies), the defaults, and the bounded queue that sends them.
import { strict as assert } from 'node:assert';
import { SmtpAlerts } from '../../../daemon/control/alerts';
import {
  alertPolicy,
  emptyVrrpAlertState,
  groupState,
  mailSettings,
  realServerMail,
  vrrpMails,
} from '../../../daemon/control/smtp-alert';
import { Mailer, type Mail } from '../../../daemon/system/mailer';
import type { State } from '../../../daemon/vrrp/fsm';
import type { Transition } from '../../../daemon/vrrp/status';
import { parse } from '../config/helpers';

const host = { hostname: 'lb1.example.org', user: 'root' };
const MAIL =
  ' notification_email {\n  ops@example.org\n  noc@example.org\n }\n smtp_server 127.0.0.1 2525\n';
const cfg = (global: string, rest = '') => {
  const r = parse(`global_defs {\n${global}}\n${rest}`);
  assert.deepEqual(r.diags, []);
  return r.config!;
};
const inst = (name: string, extra = '', vrid = 51) =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  10.0.0.${vrid}\n }\n${extra}}\n`;
const t = (instance: string, to: State) => ({ instance, to });

describe('SMTP alerts: settings and defaults (keepalived global_data.c)', () => {
  it('sends nothing without recipients or without a server', () => {
    assert.equal(mailSettings(cfg(' smtp_server 127.0.0.1\n').global_defs, host), undefined);
    assert.equal(
      mailSettings(cfg(' notification_email {\n  a@b\n }\n').global_defs, host),
      undefined,
    );
  });
  it('defaults: from <user>@<host>, HELO and router_id the host name, port 25, 30 s', () => {
    const s = mailSettings(
      cfg(' notification_email {\n  a@b\n }\n smtp_server mail.example.org\n').global_defs,
      host,
    );
    assert.deepEqual(s, {
      server: { host: 'mail.example.org', port: 25 },
      helo: 'lb1.example.org',
      from: 'root@lb1.example.org',
      to: ['a@b'],
      routerId: 'lb1.example.org',
      timeoutMs: 30_000,
    });
  });
  it('takes notification_email_from, smtp_helo_name, router_id and smtp_connect_timeout', () => {
    const s = mailSettings(
      cfg(
        `${MAIL} notification_email_from lvs@example.org\n smtp_helo_name helo.example.org\n router_id LVS_1\n smtp_connect_timeout 3\n`,
      ).global_defs,
      host,
    )!;
    assert.equal(s.from, 'lvs@example.org');
    assert.equal(s.helo, 'helo.example.org');
    assert.equal(s.routerId, 'LVS_1');
    assert.equal(s.timeoutMs, 3000);
    assert.deepEqual(s.to, ['ops@example.org', 'noc@example.org']);
  });
});

describe('SMTP alerts: VRRP mails (vrrp_notify.c)', () => {
  it('an instance alerts only with smtp_alert (own, then smtp_alert_vrrp, then smtp_alert)', () => {
    const two = inst('A', ' smtp_alert\n') + inst('B', '', 52) + inst('C', ' smtp_alert off\n', 53);
    assert.deepEqual([...alertPolicy(cfg(MAIL, two)).instances], ['A']);
    assert.deepEqual([...alertPolicy(cfg(`${MAIL} smtp_alert\n`, two)).instances], ['A', 'B']);
    assert.deepEqual(
      [...alertPolicy(cfg(`${MAIL} smtp_alert\n smtp_alert_vrrp off\n`, two)).instances],
      ['A'],
    );
  });

  it("keepalived's subject and body per state, one mail per state entered", () => {
    const p = alertPolicy(cfg(MAIL, inst('VI_1', ' smtp_alert\n')));
    const s = emptyVrrpAlertState();
    const mails = (to: State) => vrrpMails(p, s, 'LVS_1', t('VI_1', to));
    assert.deepEqual(mails('BACKUP'), [
      {
        subject: '[LVS_1] VRRP Instance VI_1 - Entering BACKUP state',
        body: '=> VRRP Instance is no longer owning VRRP VIPs <=',
      },
    ]);
    assert.deepEqual(mails('MASTER'), [
      {
        subject: '[LVS_1] VRRP Instance VI_1 - Entering MASTER state',
        body: '=> VRRP Instance is now owning VRRP VIPs <=',
      },
    ]);
    assert.deepEqual(mails('MASTER'), [], 'same state again: no second mail');
    assert.equal(mails('FAULT')[0].subject, '[LVS_1] VRRP Instance VI_1 - Entering FAULT state');
    assert.deepEqual(mails('INIT'), [
      { subject: '[LVS_1] VRRP Instance VI_1 - Stopping', body: '=> VRRP Instance stopping <=' },
    ]);
  });

  it('no_email_faults: no mail on FAULT, and the next state still mails', () => {
    const p = alertPolicy(cfg(`${MAIL} no_email_faults\n`, inst('VI_1', ' smtp_alert\n')));
    const s = emptyVrrpAlertState();
    vrrpMails(p, s, 'r', t('VI_1', 'MASTER'));
    assert.deepEqual(vrrpMails(p, s, 'r', t('VI_1', 'FAULT')), []);
    assert.equal(vrrpMails(p, s, 'r', t('VI_1', 'BACKUP')).length, 1);
  });

  it('a sync group mails when all its members share a state, FAULT when one is in FAULT', () => {
    const conf = cfg(
      `${MAIL} smtp_alert_vrrp\n`,
      inst('A', ' smtp_alert off\n') +
        inst('B', ' smtp_alert off\n', 52) +
        'vrrp_sync_group G {\n group {\n  A\n  B\n }\n}\n',
    );
    const p = alertPolicy(conf);
    const s = emptyVrrpAlertState();
    assert.deepEqual(vrrpMails(p, s, 'r', t('A', 'BACKUP')), [], 'B not yet BACKUP');
    assert.deepEqual(vrrpMails(p, s, 'r', t('B', 'BACKUP')), [
      {
        subject: '[r] VRRP Group G - Entering BACKUP state',
        body: '=> All VRRP group instances are now in BACKUP state <=',
      },
    ]);
    assert.deepEqual(vrrpMails(p, s, 'r', t('A', 'MASTER')), []);
    assert.equal(
      vrrpMails(p, s, 'r', t('B', 'MASTER'))[0].subject,
      '[r] VRRP Group G - Entering MASTER state',
    );
    assert.equal(
      vrrpMails(p, s, 'r', t('A', 'FAULT'))[0].subject,
      '[r] VRRP Group G - Entering FAULT state',
    );
    assert.equal(groupState(['MASTER', undefined]), undefined);
  });
});

describe('SMTP alerts: real server mails (check_*.c)', () => {
  const vs = (rsExtra = '', vsExtra = '') =>
    `virtual_server 10.0.0.10 80 {\n protocol TCP\n${vsExtra} real_server 10.0.0.21 8080 {\n${rsExtra}  TCP_CHECK {\n  }\n }\n}\n`;
  const ev = { vs: 'TCP:10.0.0.10:80', rs: '10.0.0.21:8080', reason: 'x' };

  it('real servers alert by default (keepalived keeps that for compatibility)', () => {
    const p = alertPolicy(cfg(MAIL, vs()));
    const key = [...p.realServers.keys()][0];
    assert.ok(key, 'one real server alerts');
    const [vsKey, rsKey] = key.split('\0');
    const down = realServerMail(p, 'LVS_1', {
      ...ev,
      vs: vsKey,
      rs: rsKey,
      up: false,
      checker: 'TCP_CHECK',
    });
    assert.deepEqual(down, {
      subject:
        '[LVS_1] Realserver [10.0.0.21]:tcp:8080 of virtual server [10.0.0.10]:tcp:80 - DOWN',
      body: '=> TCP CHECK failed on service <=',
    });
    const up = realServerMail(p, 'LVS_1', {
      ...ev,
      vs: vsKey,
      rs: rsKey,
      up: true,
      checker: 'HTTP_GET',
    });
    assert.equal(up?.body, '=> CHECK succeed on service <=');
    assert.match(up!.subject, / - UP$/);
  });

  it('smtp_alert off on the real server, the virtual server or smtp_alert_checker silences it', () => {
    assert.equal(alertPolicy(cfg(MAIL, vs('  smtp_alert off\n'))).realServers.size, 0);
    assert.equal(alertPolicy(cfg(MAIL, vs('', ' smtp_alert off\n'))).realServers.size, 0);
    assert.equal(alertPolicy(cfg(`${MAIL} smtp_alert_checker off\n`, vs())).realServers.size, 0);
    assert.equal(alertPolicy(cfg(`${MAIL} smtp_alert off\n`, vs())).realServers.size, 0);
  });
});

describe('SMTP alerts: the queue', () => {
  const logs: string[] = [];
  const log = (_l: string, m: string) => void logs.push(m);

  it('sends in order in the background; a failure is logged and the next mail still goes', async () => {
    const sent: string[] = [];
    const m = new Mailer(async (mail) => {
      await new Promise((r) => setTimeout(r, 5));
      if (mail.subject === 'bad') throw new Error('550 no');
      sent.push(mail.subject);
    }, log);
    const t0 = performance.now();
    for (const s of ['a', 'bad', 'c']) m.send({ subject: s, body: '' });
    assert.ok(performance.now() - t0 < 5, 'send() returns at once');
    await m.flush(1000);
    assert.deepEqual(sent, ['a', 'c']);
    assert.deepEqual(m.stats, { sent: 2, failed: 1, dropped: 0 });
    assert.ok(logs.some((l) => l.includes('SMTP alert failed: bad: 550 no')));
  });

  it('is bounded: with the server hanging, the oldest waiting mails are dropped', async () => {
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const m = new Mailer(() => hang, log, 3);
    for (let i = 0; i < 10; i++) m.send({ subject: `m${i}`, body: '' });
    // m0 is in flight; m1..m9 queued into 3 places: 6 dropped
    assert.equal(m.stats.dropped, 6);
    const t0 = performance.now();
    await m.flush(50);
    assert.ok(performance.now() - t0 < 200, 'flush is bounded');
    release();
    await m.flush(1000);
    assert.equal(m.stats.sent, 4);
  });

  it('SmtpAlerts wires events to mails and follows a reload', async () => {
    const sent: Mail[] = [];
    const a = new SmtpAlerts(
      cfg(`${MAIL} router_id R\n`, inst('VI_1', ' smtp_alert\n')),
      log,
      host,
      () => async (mail) => {
        sent.push(mail);
      },
    );
    const tr = (to: State): Transition => ({
      instance: 'VI_1',
      from: 'INIT',
      to,
      cause: 'startup',
      priority: 100,
      at: 0,
      wallTime: 0,
    });
    a.onTransition(tr('BACKUP'));
    await a.flush(1000);
    a.setConfig(cfg(`${MAIL} router_id R\n`, inst('VI_1', ' smtp_alert off\n')));
    a.onTransition(tr('MASTER'));
    await a.flush(1000);
    assert.deepEqual(
      sent.map((s) => s.subject),
      ['[R] VRRP Instance VI_1 - Entering BACKUP state'],
    );
  });
});
