// `use_vmac [NAME] [MAC]` (vrrp_instance): keepalived 2.2.7's grammar. A word
// with a ':' is the MAC (6 octets, or 5 and the VRID as the last), any other
// the interface name. What keepalived ignores with an error is a warning here,
// the rest of the instance stands.
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';

export interface UseVmac {
  /** the interface name; absent: keepalived's vrrp.VRID (vmac_prefix) */
  name?: string;
  /** the MAC's octets; five when the VRID completes it */
  mac?: number[];
}

/** the kernel's dev_name_valid(): 1..15 bytes, not . or .., no '/', ':' or white space */
export const ifnameValid = (n: string) =>
  n.length > 0 && Buffer.byteLength(n) < 16 && n !== '.' && n !== '..' && !/[/:\s]/.test(n);

function readMac(text: string): number[] | undefined {
  if (!/^[0-9a-f:]+$/i.test(text)) return undefined;
  const parts = text.replace(/:$/, '').split(':');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  if (parts.some((p) => p.length < 1 || p.length > 2)) return undefined;
  return parts.map((p) => parseInt(p, 16));
}

export function useVmac(args: string[], stmt: Stmt, ctx: Ctx): UseVmac {
  const out: UseVmac = {};
  for (const a of args) {
    if (a.includes(':')) {
      if (out.mac) {
        ctx.diag.warn(stmt, 'use_vmac: MAC address already given; ignored (as keepalived)');
        continue;
      }
      const mac = readMac(a);
      if (!mac) ctx.diag.warn(stmt, `use_vmac: invalid MAC address ${a}; ignored (as keepalived)`);
      else if (mac[0] & 1)
        ctx.diag.warn(stmt, `use_vmac: MAC address ${a} is multicast; ignored (as keepalived)`);
      else if (
        mac[0] === 0 &&
        mac[1] === 0 &&
        mac[2] === 0x5e &&
        mac[3] === 0 &&
        (mac[4] === 1 || mac[4] === 2)
      )
        ctx.diag.warn(
          stmt,
          `use_vmac: ${a} is an RFC 5798 address (the default is one); ignored (as keepalived)`,
        );
      else out.mac = mac;
    } else if (out.name) {
      ctx.diag.warn(stmt, 'use_vmac: interface name already given; ignored (as keepalived)');
    } else if (!ifnameValid(a)) {
      ctx.diag.warn(
        stmt,
        `use_vmac: interface name '${a}' too long or invalid characters; ignored (as keepalived)`,
      );
    } else out.name = a;
  }
  return out;
}
