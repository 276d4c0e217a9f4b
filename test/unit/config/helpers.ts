import { parseText } from '../../../daemon/config/index';
import type { Diagnostic } from '../../../daemon/config/diagnostics';

/** Parse a snippet; returns the model and diagnostics as `LINE level message` strings. */
export function parse(text: string, files: Record<string, string> = {}, configId = 'd1') {
  const r = parseText(text, '/cfg/keepalived.conf', files, { configId });
  return { ...r, diags: r.diagnostics.map(short) };
}

export const short = (d: Diagnostic) => `${d.line} ${d.level} ${d.message}`;

/** A minimal valid vrrp_instance around extra lines. */
export const instance = (body: string, name = 'VI_1') =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.1\n }\n${body}\n}\n`;
