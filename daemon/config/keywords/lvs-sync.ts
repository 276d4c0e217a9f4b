// global_defs lvs_sync_daemon: keepalived 2.2.7's grammar
//   lvs_sync_daemon INTERFACE [[inst] VRRP_INSTANCE] [id SYNC_ID] [maxlen LEN]
//                   [port PORT] [ttl TTL] [group IP]
// and its older positional form `INTERFACE VRRP_INSTANCE [SYNC_ID]`. That the
// instance exists is checked with the whole model (lint.ts).
import { isIP } from 'node:net';
import type { Position } from '../diagnostics';
import { kw, readInt } from '../schema';

/** IP_VS_IFNAME_MAXLEN, with the NUL */
const IFNAME_MAXLEN = 16;

export interface LvsSyncDaemon {
  interface: string;
  /** the VRRP instance whose state it follows; absent: both threads run always */
  instance?: string;
  /** absent: the instance's virtual_router_id (0 without an instance) */
  id?: number;
  maxlen?: number;
  port?: number;
  ttl?: number;
  group?: string;
  at: Position;
}

const isMulticast = (a: string) =>
  isIP(a) === 4 ? Number(a.split('.')[0]) >= 224 && Number(a.split('.')[0]) <= 239 : /^ff/i.test(a);

export const lvsSyncDaemon = () =>
  kw
    .custom<LvsSyncDaemon>(1, 14, (args, stmt, ctx) => {
      const [ifname] = args;
      if (ifname.length >= IFNAME_MAXLEN) {
        ctx.diag.error(stmt, `lvs_sync_daemon interface name '${ifname}' too long`);
        return undefined;
      }
      const out: LvsSyncDaemon = { interface: ifname, at: { file: stmt.file, line: stmt.line } };
      let ok = true;
      const bad = (msg: string) => {
        ctx.diag.error(stmt, msg);
        ok = false;
      };
      const num = (i: number, min: number, max: number, what: string) =>
        readInt(args[i], min, max, `lvs_sync_daemon ${what}`, stmt, ctx);
      for (let i = 1; i < args.length; i++) {
        const k = args[i];
        const named = ['inst', 'id', 'maxlen', 'port', 'ttl', 'group'].includes(k);
        if (named && args[i + 1] === undefined) {
          bad(`No value specified for lvs_sync_daemon ${k}`);
          continue;
        }
        if (k === 'inst') {
          if (out.instance)
            bad(`lvs_sync_daemon vrrp instance has already been specified as ${out.instance}`);
          else out.instance = args[i + 1];
        } else if (k === 'id') out.id = num(i + 1, 0, 255, 'id');
        else if (k === 'maxlen') out.maxlen = num(i + 1, 1, 65535 - 20 - 8, 'maxlen');
        else if (k === 'port') out.port = num(i + 1, 1, 65535, 'port');
        else if (k === 'ttl') out.ttl = num(i + 1, 1, 255, 'ttl');
        else if (k === 'group') {
          const g = args[i + 1];
          if (!isIP(g)) bad(`Invalid lvs_sync_daemon group (${g})`);
          else if (!isMulticast(g)) bad(`lvs_sync_daemon group address ${g} is not multicast`);
          else out.group = g;
        } else if (i === 1) {
          // the older form: INTERFACE VRRP_INSTANCE [SYNC_ID]
          out.instance = k;
          continue;
        } else if (i === 2 && out.instance !== undefined && /^\d+$/.test(k)) {
          ctx.diag.warn(stmt, 'Please use keyword "id" before lvs_sync_daemon SYNCID');
          out.id = num(i, 0, 255, 'id');
          continue;
        } else {
          bad(`Unknown option ${k} specified for lvs_sync_daemon`);
          continue;
        }
        i++; // the value
      }
      return ok ? out : undefined;
    })
    .optional();
