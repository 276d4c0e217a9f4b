// Shared by the declaration's tests: its problems as text, and a valid
// active-active declaration (spec-bgp, render-bgp).
import { parseClusterSpec, SpecError } from '../../../components/spec';

/** The issues of a raw declaration (`keepalive:cluster.PATH: message`); [] when valid. */
export const issues = (raw: unknown): string[] => {
  try {
    parseClusterSpec(raw);
  } catch (e) {
    if (e instanceof SpecError) return e.issues;
    throw e;
  }
  return [];
};

export const activeActive = (
  over: Record<string, unknown> = {},
  bgp: Record<string, unknown> = {},
) => ({
  vip: '198.51.100.10/32',
  virtualRouterId: 51,
  interface: 'lan0',
  mode: 'active-active',
  directors: [
    { name: 'd1', ssh: '198.51.100.11', address: '198.51.100.11' },
    { name: 'd-2', ssh: '198.51.100.12', address: '198.51.100.12' },
    { name: 'd3', ssh: '198.51.100.13', address: '198.51.100.13' },
  ],
  realServers: [{ name: 'rs1', ssh: '198.51.100.21', address: '198.51.100.21' }],
  services: [{ port: 80, lbAlgo: 'mh' }],
  ssh: { privateKeyFile: '/k', knownHostsFile: '/kh' },
  bgp: { localAsn: 65001, router: { address: '198.51.100.1', asn: 65000 }, ...bgp },
  ...over,
});
