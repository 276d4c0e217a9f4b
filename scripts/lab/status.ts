// What `lab status` reports, and its table for people.

export interface HostStatus {
  name: string;
  role: string;
  ns: string;
  addresses: string[];
  holder: boolean;
  sshd: boolean;
  http: boolean | null;
}

export interface LabStatus {
  prefix: string;
  dir: string;
  up: boolean;
  hosts: HostStatus[];
  cuts: string[];
}

export function formatStatus(s: LabStatus): string {
  const yes = (b: boolean | null) => (b === null ? '-' : b ? 'up' : 'DOWN');
  const rows = [
    ['HOST', 'ROLE', 'NAMESPACE', 'SSHD', 'HTTP', 'ADDRESSES'],
    ...s.hosts.map((h) => [
      h.name,
      h.role,
      h.ns,
      h.holder ? yes(h.sshd) : 'DOWN',
      yes(h.http),
      h.addresses.join(', '),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
  return [
    `lab "${s.prefix}" is ${s.up ? 'UP' : 'DOWN'} (${s.dir})`,
    ...lines,
    s.cuts.length ? `cuts: ${s.cuts.join('; ')}` : 'cuts: none',
  ].join('\n');
}
