// track_src_ip (keepalived): an instance whose configured source address is
// not on the host is in FAULT. Followed by rtnetlink address events (the link
// watch hears them too), never polled.
import type { Log } from '../core/log';
import type { NetIO } from '../net/io';
import type { Tracker } from './track';

/** what the watch needs of an instance */
interface Tracked {
  name: string;
  trackers: Tracker[];
  applyTrackers(): void;
}

/** The tracker of an instance's source address, when it asks for one. */
export function sourceTracker(
  trackSrc: boolean,
  src: string | undefined,
  present: (ip: string) => boolean,
): Tracker[] {
  if (!trackSrc || !src) return [];
  return [{ name: src, kind: 'source', weight: 0, reverse: false, ok: present(src) }];
}

/** Re-check every source tracker on each address/link event; returns the subscription. */
export function watchSources(net: NetIO, instances: readonly Tracked[], log: Log) {
  const watched = instances.filter((i) => i.trackers.some((t) => t.kind === 'source'));
  if (!watched.length) return undefined;
  const check = () => {
    for (const i of watched) {
      let changed = false;
      for (const t of i.trackers) {
        if (t.kind !== 'source') continue;
        const ok = net.hasAddress(t.name);
        if (ok === t.ok) continue;
        t.ok = ok;
        changed = true;
        log(ok ? 'info' : 'warn', `${i.name}: source address ${t.name} ${ok ? 'back' : 'gone'}`);
      }
      if (changed) i.applyTrackers();
    }
  };
  const sub = net.watchLinks(check);
  check(); // a change between the instance's start and the subscription
  return sub;
}
