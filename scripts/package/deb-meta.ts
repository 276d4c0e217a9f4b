// What the Debian package holds and its control metadata (pure: no I/O).
// scripts/package/build-deb.ts stages these files and calls dpkg-deb.

export const PACKAGE = 'keepalive-ts';
export const ARCH = 'amd64';
export const MAINTAINER = 'keepalive-ts maintainers <keepalive-ts@example.org>';
/** Where packaging/deb's files and the executable land in the package. */
export const CONFIG_PATH = '/etc/keepalived/keepalived.conf';
export const DEFAULT_PATH = '/etc/default/keepalive-ts';
export const EXECUTABLE_PATH = '/usr/sbin/keepalive-ts';
export const UNIT_PATH = '/lib/systemd/system/keepalive-ts.service';
export const DOC_DIR = `/usr/share/doc/${PACKAGE}`;

/** Files dpkg must treat as conffiles (kept when the administrator changed them). */
export const CONFFILES = [CONFIG_PATH, DEFAULT_PATH];

export interface StagedFile {
  /** source: relative to the checkout, or the literal 'EXECUTABLE' */
  from: string;
  /** absolute path inside the package */
  to: string;
  mode: number;
  /** gzip -9n it (man pages, changelog) and append .gz to `to` */
  gzip?: boolean;
}

/** The package's files (maintainer scripts are separate: DEBIAN/). */
export const PAYLOAD: StagedFile[] = [
  { from: 'EXECUTABLE', to: EXECUTABLE_PATH, mode: 0o755 },
  { from: 'packaging/deb/keepalive-ts.service', to: UNIT_PATH, mode: 0o644 },
  { from: 'packaging/deb/keepalived.conf', to: CONFIG_PATH, mode: 0o644 },
  { from: 'packaging/deb/default', to: DEFAULT_PATH, mode: 0o644 },
  {
    from: 'packaging/deb/keepalive-ts.8',
    to: '/usr/share/man/man8/keepalive-ts.8',
    mode: 0o644,
    gzip: true,
  },
  {
    from: 'packaging/deb/keepalive-ts.conf.5',
    to: '/usr/share/man/man5/keepalive-ts.conf.5',
    mode: 0o644,
    gzip: true,
  },
  { from: 'packaging/deb/copyright', to: `${DOC_DIR}/copyright`, mode: 0o644 },
  // each override says why (packaging/deb/lintian-overrides)
  {
    from: 'packaging/deb/lintian-overrides',
    to: `/usr/share/lintian/overrides/${PACKAGE}`,
    mode: 0o644,
  },
  { from: 'CHANGELOG', to: `${DOC_DIR}/changelog`, mode: 0o644, gzip: true },
  // the seed recipe's two directors, as examples
  {
    from: 'test/fixtures/seed-master.conf',
    to: `${DOC_DIR}/examples/seed-master.conf`,
    mode: 0o644,
  },
  {
    from: 'test/fixtures/seed-backup.conf',
    to: `${DOC_DIR}/examples/seed-backup.conf`,
    mode: 0o644,
  },
];

export const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'];

/** Debian's version syntax for a native package (no revision): digits first. */
export function checkVersion(version: string): string {
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) {
    throw new Error(
      `keepalive-ts: '${version}' is not a Debian native version (digits first, then letters, digits, . + ~)`,
    );
  }
  return version;
}

export function debFileName(version: string): string {
  return `${PACKAGE}_${checkVersion(version)}_${ARCH}.deb`;
}

export interface ControlFields {
  version: string;
  /** from dpkg-shlibdeps: the executable's shared libraries */
  shlibsDepends: string;
  installedSizeKiB: number;
}

export function controlText(f: ControlFields): string {
  const depends = [f.shlibsDepends, 'procps'].filter((d) => d.trim() !== '').join(', ');
  return [
    `Package: ${PACKAGE}`,
    `Version: ${checkVersion(f.version)}`,
    `Architecture: ${ARCH}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${f.installedSizeKiB}`,
    // procps: /bin/kill for the unit's ExecReload (minimal systems lack it)
    `Depends: ${depends}`,
    // both speak VRRP on the same interfaces and claim the same addresses
    'Conflicts: keepalived',
    'Section: net',
    'Priority: optional',
    'Description: keepalived-compatible VRRP and load-balancer daemon',
    ' keepalive-ts reads keepalived.conf unchanged, speaks VRRP v2 and v3 with',
    ' its peers (which may run keepalived), moves virtual addresses with',
    ' gratuitous ARP or neighbour advertisements, health-checks real servers',
    ' and programs IPVS, or nftables where the kernel has no IPVS.',
    ' .',
    ' This package installs it as one self-contained executable (no Node.js',
    ' needed) with a systemd service that tests the configuration before every',
    ' start and reload. Package upgrades reload the daemon, never restart it.',
    '',
  ].join('\n');
}

/** `/etc/...` conffiles list for DEBIAN/conffiles. */
export const conffilesText = (): string => CONFFILES.join('\n') + '\n';

/** The version of the first entry of a Debian changelog. */
export function changelogTopVersion(changelog: string): string {
  const m = /^\S+ \(([^)]+)\)/.exec(changelog);
  if (!m) throw new Error('packaging/deb/changelog:1: not a Debian changelog entry');
  return m[1];
}

/**
 * The changelog for a build of `version`: the maintained file when its top
 * entry is that version, else the file with a local-build entry on top (test
 * builds of a higher version, e.g. the upgrade test).
 */
export function changelogFor(changelog: string, version: string, date: Date): string {
  if (changelogTopVersion(changelog) === version) return changelog;
  return (
    `${PACKAGE} (${checkVersion(version)}) unstable; urgency=medium\n\n` +
    `  * Local build of version ${version}.\n\n` +
    ` -- ${MAINTAINER}  ${rfc2822(date)}\n\n` +
    changelog
  );
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The date format Debian changelogs use, in UTC. */
export function rfc2822(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

/** Parse `shlibs:Depends=...` from dpkg-shlibdeps -O output. */
export function parseShlibs(output: string): string {
  const m = /^shlibs:Depends=(.*)$/m.exec(output);
  if (!m) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends line: ${output.trim()}`);
  return m[1].trim();
}
