// The router's VIP route events as `ip -ts -o monitor route` prints them
// (lines captured from iproute2 6.1 on this machine): next hops per event and
// the moment a director's path leaves or returns.
import { strict as assert } from 'node:assert';
import {
  firstAddOf,
  firstDropOf,
  parseRouteEvent,
  type RouteEvent,
} from '../../../verify/route-events';

const VIP = '198.51.100.10';
const LINES = [
  '[2026-12-03T09:58:13.164466] 198.51.100.10 proto bird metric 32 \\\tnexthop via 198.51.100.11 dev br0 weight 1 onlink \\\tnexthop via 198.51.100.12 dev br0 weight 1 onlink \\\tnexthop via 198.51.100.13 dev br0 weight 1 onlink ',
  '[2026-12-03T09:58:13.278458] 198.51.100.10 proto bird metric 32 \\\tnexthop via 198.51.100.11 dev br0 weight 1 onlink \\\tnexthop via 198.51.100.13 dev br0 weight 1 onlink ',
  '[2026-12-03T09:58:13.391555] 198.51.100.10 via 198.51.100.13 dev br0 proto bird metric 32 onlink ',
  '[2026-12-03T09:58:13.502292] Deleted 198.51.100.10 via 198.51.100.13 dev br0 proto bird metric 32 onlink ',
];
/** 09:58:SS.ffffff on the router's clock, epoch ms with the microseconds */
const t = (s: string) => Date.parse('2026-12-03T09:58:00Z') + Number(s) * 1000;

describe('aa router route events', () => {
  const events = LINES.map((l) => parseRouteEvent(l, VIP)!);

  it('reads the next hops of multipath, single-path and deleted routes with the router clock', () => {
    assert.deepEqual(events[0].nexthops, ['198.51.100.11', '198.51.100.12', '198.51.100.13']);
    assert.deepEqual(events[1].nexthops, ['198.51.100.11', '198.51.100.13']);
    assert.deepEqual(events[2], { t: t('13.391555'), deleted: false, nexthops: ['198.51.100.13'] });
    assert.deepEqual(events[3], { t: t('13.502292'), deleted: true, nexthops: [] });
  });

  it('ignores other routes and lines that are not events', () => {
    assert.equal(
      parseRouteEvent('[2026-12-03T09:58:13.1] 198.51.100.100 via 203.0.113.1 dev x', VIP),
      undefined,
    );
    assert.equal(
      parseRouteEvent('[2026-12-03T09:58:13.1] 198.51.100.10.5 via 1.2.3.4', VIP),
      undefined,
    );
    assert.equal(parseRouteEvent('nexthop via 198.51.100.11', VIP), undefined);
  });

  it('finds when the router stopped sending to a director, and when it sent again', () => {
    const from = t('13.2');
    assert.equal(firstDropOf(events, '198.51.100.12', from)?.t, t('13.278458'));
    assert.equal(firstDropOf(events, '198.51.100.11', from)?.t, t('13.391555'));
    assert.equal(firstDropOf(events, '198.51.100.13', from)?.t, t('13.502292'));
    // before `from` does not count
    assert.equal(firstDropOf(events, '198.51.100.12', t('13.3'))?.t, t('13.391555'));
    const back: RouteEvent = { t: t('14'), deleted: false, nexthops: ['198.51.100.12'] };
    assert.equal(firstAddOf([...events, back], '198.51.100.12', from)?.t, t('14'));
    assert.equal(firstAddOf(events, '198.51.100.12', from), undefined);
  });
});
