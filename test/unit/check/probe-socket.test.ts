// The checkers' socket options (bindto, bind_port, bind_if, fwmark): from the
// config to each probe (probe-plan.ts), into setsockopt/bind calls in
// keepalived's order (net/probe-socket.ts, a recording fake of the native
// layer), and bind_port seen by a loopback server for TCP, HTTP, UDP and DNS.
import { strict as assert } from 'node:assert';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runProbe, socketOptions, type Probes } from '../../../daemon/check/probe-plan';
import { dnsProbe, httpProbe, tcpProbe } from '../../../daemon/check/probes';
import { udpProbe } from '../../../daemon/check/udp-probe';
import { parseText } from '../../../daemon/config/index';
import type { NativeSock } from '../../../daemon/net/native';
import {
  bindSockaddr,
  openProbeSocket,
  probeSockOpts,
  SO_MARK,
  targetSockaddr,
  type ProbeSocketOptions,
} from '../../../daemon/net/probe-socket';

const OPTS = 'bindto 127.0.0.1\n bind_port 40111\n bind_if lo\n fwmark 7';

function checkersOf(body: string) {
  const r = parseText(
    `virtual_server 10.0.0.1 80 {\n lvs_sched rr\n protocol TCP\n real_server 127.0.0.1 80 {\n${body}\n }\n}\n`,
  );
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  const rs = r.config.virtual_server[0].real_server[0];
  return { rs, checkers: rs.checkers, diags: r.diagnostics.map((d) => d.message) };
}

describe('checker socket options: config to probe', () => {
  it('socketOptions takes only what is set', () => {
    assert.deepEqual(socketOptions({}), {});
    assert.deepEqual(socketOptions({ bindto: '10.0.0.2', bind_port: 0, fwmark: 0 }), {
      bindto: '10.0.0.2',
    });
    assert.deepEqual(
      socketOptions({ bindto: '10.0.0.2', bind_port: 99, bind_if: 'eth1', fwmark: 5 }),
      { bindto: '10.0.0.2', bindPort: 99, bindIf: 'eth1', fwmark: 5 },
    );
  });

  it('every network checker hands bindto, bind_port, bind_if and fwmark to its probe', async () => {
    const want = { bindto: '127.0.0.1', bindPort: 40111, bindIf: 'lo', fwmark: 7 };
    const got: Record<string, ProbeSocketOptions> = {};
    const probes: Probes = {
      tcp: async (_h, _p, _t, o) => ((got.TCP_CHECK = o), { ok: true }),
      http: async (t) => ((got[t.tls ? 'SSL_GET' : 'HTTP_GET'] = t.socket!), { ok: true }),
      script: async () => ({ ok: true, exitCode: 0 }),
      dns: async (_h, _p, _n, _t, _ms, o) => ((got.DNS_CHECK = o), { ok: true }),
      udp: async (t) => ((got.UDP_CHECK = t.socket!), { ok: true }),
      ping: async (_h, _t, o) => ((got.PING_CHECK = o), { ok: true }),
      smtp: async (t) => ((got.SMTP_CHECK = t.socket!), { ok: true }),
    };
    const url = '\n url {\n  path /\n }';
    const { rs, checkers, diags } = checkersOf(
      ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'DNS_CHECK', 'UDP_CHECK', 'SMTP_CHECK']
        .map((t) => `  ${t} {\n ${OPTS}${t.endsWith('GET') ? url : ''}\n  }`)
        .join('\n') + `\n  PING_CHECK {\n bindto 127.0.0.1\n bind_if lo\n fwmark 7\n  }`,
    );
    assert.deepEqual(diags, []);
    for (const c of checkers) if (c.type !== 'BFD_CHECK') await runProbe(probes, rs, c);
    for (const t of ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'DNS_CHECK', 'UDP_CHECK', 'SMTP_CHECK'])
      assert.deepEqual(got[t], want, t);
    assert.deepEqual(got.PING_CHECK, { bindto: '127.0.0.1', bindIf: 'lo', fwmark: 7 });
  });

  it('PING_CHECK bind_port is refused (ICMP has no ports); a link-local target needs bind_if', () => {
    const r = parseText(
      'virtual_server 2001:db8::1 80 {\n lvs_sched rr\n protocol TCP\n real_server fe80::1 80 {\n  PING_CHECK {\n   bind_port 5\n  }\n  TCP_CHECK {\n   bind_if eth0\n  }\n }\n}\n',
    );
    const msgs = r.diagnostics.map((d) => `${d.level} ${d.message}`);
    assert.ok(
      msgs.some((m) =>
        /^warning bind_port: not supported by keepalive-ts \(ICMP has no ports/.test(m),
      ),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some((m) => /^error .*PING_CHECK to link-local fe80::1 needs a bind_if/.test(m)),
      msgs.join('\n'),
    );
    assert.ok(!msgs.some((m) => /TCP_CHECK to link-local/.test(m)), msgs.join('\n'));
  });
});

describe('probe socket (native calls, fake)', () => {
  function fake(fail?: string) {
    const calls: string[] = [];
    const n = {
      socket: (d: number, t: number, p: number) => (calls.push(`socket ${d} ${t} ${p}`), 9),
      setsockopt: (_fd: number, level: number, name: number, v: Buffer) => {
        calls.push(`setsockopt ${level} ${name} ${v.toString('hex')}`);
        if (fail === 'setsockopt') throw new Error('setsockopt: Operation not permitted');
      },
      bind: (_fd: number, sa: Buffer) => {
        calls.push(`bind ${sa.toString('hex')}`);
        if (fail === 'bind') throw new Error('bind: Address already in use');
      },
      close: (fd: number) => void calls.push(`close ${fd}`),
      ifindex: (name: string) => (name === 'eth1' ? 3 : 0),
    } as unknown as NativeSock;
    return { n, calls };
  }

  it("keepalived's order: SO_MARK, SO_BINDTODEVICE, bind", () => {
    const { n, calls } = fake();
    const fd = openProbeSocket(
      4,
      1,
      0,
      { fwmark: 0x101, bindIf: 'eth1', bindto: '10.0.0.2', bindPort: 4000 },
      n,
    );
    assert.equal(fd, 9);
    assert.deepEqual(calls, [
      'socket 2 1 0',
      `setsockopt 1 ${SO_MARK} 01010000`,
      `setsockopt 1 25 ${Buffer.from('eth1\0').toString('hex')}`,
      `bind ${Buffer.from([2, 0, 0x0f, 0xa0, 10, 0, 0, 2]).toString('hex')}${'00'.repeat(8)}`,
    ]);
  });

  it('nothing set: no setsockopt, no bind; a bind_port alone binds the wildcard', () => {
    const { n, calls } = fake();
    openProbeSocket(6, 2, 17, {}, n);
    assert.deepEqual(calls, ['socket 10 2 17']);
    assert.deepEqual(probeSockOpts({}), []);
    assert.equal(bindSockaddr(4, {}), undefined);
    assert.deepEqual([...bindSockaddr(4, { bindPort: 53 })!.subarray(2, 8)], [0, 53, 0, 0, 0, 0]);
    assert.equal(bindSockaddr(6, { bindPort: 53 })!.length, 28);
  });

  it('a failing step closes the socket and says which option failed', () => {
    const a = fake('setsockopt');
    assert.throws(
      () => openProbeSocket(4, 1, 0, { fwmark: 3 }, a.n),
      /^Error: fwmark 3: setsockopt/,
    );
    assert.equal(a.calls.at(-1), 'close 9');
    const b = fake('bind');
    assert.throws(
      () => openProbeSocket(4, 1, 0, { bindto: '10.0.0.2', bindPort: 80 }, b.n),
      /^Error: bind 10\.0\.0\.2:80: bind: Address already in use/,
    );
    assert.equal(b.calls.at(-1), 'close 9');
  });

  it('an IPv6 link-local target or source is scoped to bind_if, a global one is not', () => {
    assert.equal(targetSockaddr('fe80::2', 80, 3).readUInt32LE(24), 3);
    assert.equal(targetSockaddr('2001:db8::2', 80, 3).readUInt32LE(24), 0);
    assert.equal(bindSockaddr(6, { bindto: 'fe80::1' }, 3)!.readUInt32LE(24), 3);
    assert.equal(targetSockaddr('127.0.0.1', 80).length, 16);
  });
});

describe('bind_port on the wire (loopback)', () => {
  it('TCP_CHECK, HTTP_GET, UDP_CHECK and DNS_CHECK leave from their bind_port', async () => {
    const ports: Record<string, number[]> = { tcp: [], udp: [] };
    const web = http.createServer((_q, r) => r.end('ok'));
    web.on('connection', (c) => ports.tcp.push(c.remotePort!));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const udp = dgram.createSocket('udp4');
    udp.on('message', (m, r) => {
      ports.udp.push(r.port);
      const a = Buffer.from(m);
      a[3] = 0; // a DNS answer with RCODE 0 (and an echo for UDP_CHECK)
      udp.send(a, r.port, r.address);
    });
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const wport = (web.address() as AddressInfo).port;
    const uport = udp.address().port;
    try {
      // distinct ports: TCP_CHECK's port is reset on close, but each test run is fresh
      const base = 42000 + (process.pid % 1000) * 4;
      assert.deepEqual(await tcpProbe('127.0.0.1', wport, 1000, { bindPort: base }), { ok: true });
      const t = { tls: false, host: '127.0.0.1', port: wport, path: '/', timeoutMs: 1000 };
      assert.deepEqual(await httpProbe({ ...t, socket: { bindPort: base + 1 } }), { ok: true });
      assert.deepEqual(
        await udpProbe({
          host: '127.0.0.1',
          port: uport,
          timeoutMs: 1000,
          requireReply: true,
          minReplyLength: 0,
          maxReplyLength: 255,
          socket: { bindPort: base + 2, bindto: '127.0.0.1' },
        }),
        { ok: true },
      );
      assert.deepEqual(
        await dnsProbe('127.0.0.1', uport, 'example.org', 'A', 1000, { bindPort: base + 3 }),
        { ok: true },
      );
      // TCP_CHECK's bind_port again at once: closed with a reset, no TIME_WAIT in the way
      assert.deepEqual(await tcpProbe('127.0.0.1', wport, 1000, { bindPort: base }), { ok: true });
      assert.deepEqual(ports.tcp, [base, base + 1, base]);
      assert.deepEqual(ports.udp, [base + 2, base + 3]);
    } finally {
      web.close();
      udp.close();
    }
  });
});
