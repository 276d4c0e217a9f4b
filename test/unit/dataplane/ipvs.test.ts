// IPVS generic netlink messages against bytes laid out by hand from the
// kernel's include/uapi/linux/ip_vs.h (attribute numbers) and the order in
// which ipvsadm's libipvs fills them (AF, PROTOCOL, ADDR, PORT, SCHED_NAME,
// FLAGS, TIMEOUT, NETMASK; dest: ADDR, PORT, FWD_METHOD, WEIGHT, U/L_THRESH,
// ADDR_FAMILY). This kernel has no IPVS: what the kernel answers is covered
// by the VM tier, not here.
import { strict as assert } from 'node:assert';
import {
  encodeCommand,
  netmaskBytes,
  parseDest,
  parseService,
  flushMessage,
  setTimeoutsMessage,
} from '../../../daemon/dataplane/ipvs';
import {
  familyIdFrom,
  genlMessage,
  getFamilyMessage,
  parseMessages,
} from '../../../daemon/net/genl';
import { planIpvs, type IpvsTable } from '../../../daemon/dataplane/ipvs-plan';

const hex = (s: string) => s.replace(/\s+|\|/g, '');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const FAMILY = 0x1b;
const svc = {
  protocol: 'TCP' as const,
  address: '198.51.100.10',
  port: 80,
  scheduler: 'rr',
  persistence: 50,
};

describe('IPVS generic netlink codec', () => {
  it('CTRL_CMD_GETFAMILY "IPVS"', () => {
    assert.equal(
      toHex(getFamilyMessage('IPVS', 7)),
      hex(`20000000 1000 0500 07000000 00000000 | 03 01 0000 | 0900 0200 49505653 00 000000`),
    );
  });

  it('NEW_SERVICE TCP 198.51.100.10:80, rr, persistent 50 s (ipvsadm -A -t ... -s rr -p 50)', () => {
    const expected = hex(`
      68000000 1b00 0500 01000000 00000000
      01 01 0000
      5400 0100
        0600 0100 0200 0000
        0600 0200 0600 0000
        1400 0300 c633640a 00000000 00000000 00000000
        0600 0400 0050 0000
        0700 0600 727200 00
        0c00 0700 01000000 ffffffff
        0800 0800 32000000
        0800 0900 ffffffff`);
    assert.equal(toHex(encodeCommand(FAMILY, { cmd: 'NEW_SERVICE', service: svc }, 1)), expected);
  });

  it('NEW_DEST 198.51.100.21:80 weight 1, DR (ipvsadm -a -t ... -r ... -g -w 1)', () => {
    const expected = hex(`
      8c000000 1b00 0500 02000000 00000000
      05 01 0000
      3000 0100
        0600 0100 0200 0000
        0600 0200 0600 0000
        1400 0300 c633640a 00000000 00000000 00000000
        0600 0400 0050 0000
      4800 0200
        1400 0100 c6336415 00000000 00000000 00000000
        0600 0200 0050 0000
        0800 0300 03000000
        0800 0400 01000000
        0800 0500 00000000
        0800 0600 00000000
        0600 0b00 0200 0000`);
    assert.equal(
      toHex(
        encodeCommand(
          FAMILY,
          {
            cmd: 'NEW_DEST',
            service: svc,
            dest: { address: '198.51.100.21', port: 80, weight: 1, method: 'DR' },
          },
          2,
        ),
      ),
      expected,
    );
  });

  it('ops: IP_VS_SVC_F_ONEPACKET (0x4) joins the flags (ipvsadm -A -u ... -o)', () => {
    const b = encodeCommand(
      FAMILY,
      { cmd: 'NEW_SERVICE', service: { ...svc, protocol: 'UDP', onePacket: true } },
      1,
    );
    assert.match(toHex(b), new RegExp(hex(`0c00 0700 05000000 ffffffff`)));
    assert.equal(parseService(parseMessages(b)[0])?.onePacket, true);
  });

  it('uthreshold / lthreshold: IPVS_DEST_ATTR_U_THRESH (5) and L_THRESH (6), u32', () => {
    const b = encodeCommand(
      FAMILY,
      {
        cmd: 'NEW_DEST',
        service: svc,
        dest: {
          address: '198.51.100.21',
          port: 80,
          weight: 1,
          method: 'DR',
          uThresh: 1000,
          lThresh: 300,
        },
      },
      2,
    );
    assert.match(toHex(b), new RegExp(hex(`0800 0500 e8030000 0800 0600 2c010000 0600 0b00`)));
    const d = parseDest(parseMessages(b)[0])!;
    assert.deepEqual([d.uThresh, d.lThresh], [1000, 300]);
  });

  it('IPVS_CMD_FLUSH (17) without attributes; IPVS_CMD_SET_CONFIG (12) with the three timeouts (ipvsadm --set 900 120 300)', () => {
    assert.equal(
      toHex(flushMessage(FAMILY, 4)),
      hex(`14000000 1b00 0500 04000000 00000000 | 11 01 0000`),
    );
    assert.equal(
      toHex(setTimeoutsMessage(FAMILY, { tcp: 900, tcpfin: 120, udp: 300 }, 5)),
      hex(`2c000000 1b00 0500 05000000 00000000 | 0c 01 0000
        0800 0400 84030000
        0800 0500 78000000
        0800 0600 2c010000`),
    );
    // an unset timeout goes as 0: the kernel leaves it as it is
    assert.match(
      toHex(setTimeoutsMessage(FAMILY, { udp: 10 }, 6)),
      /08000400000000000800050000000000080006000a000000$/,
    );
  });

  it('a fwmark service is named by AF and FWMARK only', () => {
    const b = encodeCommand(
      FAMILY,
      { cmd: 'DEL_SERVICE', service: { protocol: 'TCP', port: 0, fwmark: 7 } },
      3,
    );
    assert.equal(toHex(b.subarray(20)), hex(`1400 0100 0600 0100 0200 0000 0800 0500 07000000`));
  });

  it('parses the family id, services and destinations of kernel answers', () => {
    const famReply = genlMessage(0x10, 1, 2, [Uint8Array.from([6, 0, 1, 0, 0x1b, 0, 0, 0])], 7, 0);
    assert.equal(familyIdFrom(parseMessages(famReply)), 0x1b);
    // a GET_SERVICE answer carries the same nested layout as NEW_SERVICE
    const answer = encodeCommand(FAMILY, { cmd: 'NEW_SERVICE', service: svc }, 9);
    assert.deepEqual(parseService(parseMessages(answer)[0]), svc);
    const d = encodeCommand(
      FAMILY,
      {
        cmd: 'NEW_DEST',
        service: svc,
        dest: { address: '198.51.100.22', port: 8080, weight: 3, method: 'NAT' },
      },
      9,
    );
    assert.deepEqual(parseDest(parseMessages(d)[0]), {
      address: '198.51.100.22',
      port: 8080,
      weight: 3,
      method: 'NAT',
      activeConns: 0,
      inactConns: 0,
    });
    const ack = Uint8Array.from([
      36,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      9,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0xef,
      0xff,
      0xff,
      0xff,
      ...new Array(16).fill(0),
    ]);
    assert.equal(parseMessages(ack)[0].error, 17, 'NLMSG_ERROR carries -errno (EEXIST)');
  });
});

describe('IPVS plan (current -> desired, no flush)', () => {
  const table = (
    dests: [string, number][],
    o: Partial<typeof svc & { netmask: string }> = {},
  ): IpvsTable => ({
    service: { ...svc, ...o },
    dests: dests.map(([address, weight]) => ({ address, port: 80, weight, method: 'DR' as const })),
  });

  it('a threshold or ops change is a SET_DEST / SET_SERVICE, not a re-create', () => {
    const t = table([['198.51.100.21', 1]]);
    const withThresh: IpvsTable = { ...t, dests: [{ ...t.dests[0], uThresh: 50 }] };
    assert.deepEqual(
      planIpvs([t], [withThresh]).map((c) => c.cmd),
      ['SET_DEST'],
    );
    assert.deepEqual(planIpvs([withThresh], [withThresh]), []);
    const ops: IpvsTable = { ...t, service: { ...t.service, onePacket: true } };
    assert.deepEqual(
      planIpvs([t], [ops]).map((c) => c.cmd),
      ['SET_SERVICE'],
    );
  });

  it('creates a missing service with its destinations', () => {
    assert.deepEqual(
      planIpvs([], [table([['198.51.100.21', 1]])]).map((c) => c.cmd),
      ['NEW_SERVICE', 'NEW_DEST'],
    );
  });

  it('touches only what differs: a weight change is one SET_DEST; others keep their counters', () => {
    const cur = table([
      ['198.51.100.21', 1],
      ['198.51.100.22', 1],
    ]);
    const want = table([
      ['198.51.100.21', 1],
      ['198.51.100.22', 0],
      ['198.51.100.23', 1],
    ]);
    const p = planIpvs([cur], [want]);
    assert.deepEqual(
      p.map((c) => `${c.cmd} ${'dest' in c ? c.dest.address : ''}`),
      ['SET_DEST 198.51.100.22', 'NEW_DEST 198.51.100.23'],
    );
    assert.deepEqual(planIpvs([want], [want]), [], 'converged: nothing to do');
  });

  it('removes a dropped destination and a dropped service, and changes the scheduler in place', () => {
    const p = planIpvs(
      [table([['198.51.100.21', 1]]), table([], { port: 443 })],
      [table([], { scheduler: 'wrr' })],
      new Set(['TCP 198.51.100.10:80', 'TCP 198.51.100.10:443']),
    );
    assert.deepEqual(
      p.map((c) => c.cmd),
      ['DEL_SERVICE', 'SET_SERVICE', 'DEL_DEST'],
    );
  });

  it('never deletes services it does not own', () => {
    assert.deepEqual(planIpvs([table([], { port: 8443 })], [], new Set()), []);
  });

  it('persistence_granularity: encoded as the mask in network order, read back, changed in place', () => {
    const msg = encodeCommand(
      FAMILY,
      { cmd: 'NEW_SERVICE', service: { ...svc, netmask: '255.255.255.0' } },
      1,
    );
    assert.ok(toHex(msg).endsWith(hex('0800 0900 ffffff00')), toHex(msg));
    const [m] = parseMessages(msg);
    assert.equal(parseService(m)?.netmask, '255.255.255.0');
    assert.equal(
      parseService(parseMessages(encodeCommand(FAMILY, { cmd: 'NEW_SERVICE', service: svc }, 1))[0])
        ?.netmask,
      undefined,
    );
    assert.deepEqual(
      planIpvs([table([])], [table([], { netmask: '255.255.0.0' })]).map((c) => c.cmd),
      ['SET_SERVICE'],
    );
    assert.deepEqual([...netmaskBytes('/24')], [255, 255, 255, 0]);
    assert.throws(() => netmaskBytes('255.255.256.0'), /not a netmask/);
  });
});
