// The daemon's install from a Debian package (`install: package`): our .deb
// (the self-contained executable: no Node.js on the director) or Debian's
// keepalived. What install added, destroy removes, and nothing else: a
// package already installed before the suite's first run is recorded as such
// (a marker in STATE_DIR) and left in place by delete. dpkg itself makes the
// swap atomic (files unpacked as .dpkg-new, then renamed); a run interrupted
// inside dpkg is finished by the re-run (`dpkg --configure -a`).
import { shellQuote as q } from '../daemon/core/argv';
import { takeLock } from './host-script';

/** The suite's own records on a host (which packages it found installed). */
export const STATE_DIR = '/var/lib/keepalive-suite';
/** Where the uploaded .deb waits on the director (kept for a re-run; delete removes it). */
export const UPLOAD_DIR = '/var/cache/keepalive-suite';
/** Our package's executable: the commands the suite runs on a package-installed director. */
export const PACKAGE_BIN = '/usr/sbin/keepalive-ts';

/** Where the suite keeps its records and uploads on a host (tests point them elsewhere). */
export interface HostDirs {
  state: string;
  upload: string;
  /** the package's executable */
  bin: string;
}
export const DIRS: HostDirs = { state: STATE_DIR, upload: UPLOAD_DIR, bin: PACKAGE_BIN };

/** Shell test: is Debian package `pkg` installed (not merely known to dpkg)? */
export const installed = (pkg: string) =>
  `dpkg-query -W -f '\${Status}' ${pkg} 2>/dev/null | grep -q ' installed$'`;

/** Record once, before the first change, whether `pkg` was there before the suite. */
export const recordPrior = (pkg: string, dirs: HostDirs) => {
  const mark = q(`${dirs.state}/${pkg}.preinstalled`);
  const seen = q(`${dirs.state}/${pkg}.seen`);
  return [
    `mkdir -p ${q(dirs.state)}`,
    `if [ ! -f ${seen} ]; then if ${installed(pkg)}; then touch ${mark}; fi; touch ${seen}; fi`,
  ].join('\n');
};

/** Remove `pkg` (purge: its conffiles too) unless it was there before the suite. */
export const removeIfOurs = (pkg: string, dirs: HostDirs) => {
  const mark = q(`${dirs.state}/${pkg}.preinstalled`);
  return [
    `if [ ! -f ${mark} ] && ${installed(pkg)}; then DEBIAN_FRONTEND=noninteractive dpkg --purge ${pkg} >/dev/null; fi`,
    `rm -f ${mark} ${q(`${dirs.state}/${pkg}.seen`)}`,
    `rmdir ${q(dirs.state)} 2>/dev/null || true`,
  ].join('\n');
};

/** The .deb upload of one director: the file, where it goes, and its hash (the step's trigger). */
export interface PackageUpload {
  /** on the deploying machine */
  file: string;
  /** on the director */
  remotePath: string;
  sha256: string;
}

export const uploadPath = (sha256: string, dir = UPLOAD_DIR) =>
  `${dir}/keepalive-ts_${sha256.slice(0, 16)}.deb`;

/** Install our .deb (uploaded beforehand to `uploadPath(sha256)`), checked complete first. */
export function debInstallScripts(host: string, sha256: string, dirs = DIRS) {
  const path = uploadPath(sha256, dirs.upload);
  const file = q(path);
  const up = q(dirs.upload);
  const create = [
    'set -eu',
    `# package sha256 ${sha256}`,
    takeLock(host),
    `[ -f ${file} ] || { echo "${host}: ${path} was not uploaded" >&2; exit 1; }`,
    `echo "${sha256}  ${path}" | sha256sum -c --status - || { echo "${host}: the package arrived incomplete" >&2; rm -f ${file}; exit 1; }`,
    recordPrior('keepalive-ts', dirs),
    // keepalived and keepalive-ts conflict (both speak VRRP on the same interfaces)
    `if ${installed('keepalived')}; then echo "${host}: Debian's keepalived is installed; the keepalive-ts package conflicts with it" >&2; exit 1; fi`,
    'export DEBIAN_FRONTEND=noninteractive',
    'dpkg --configure -a >/dev/null 2>&1 || true',
    // the suite owns the config file: keep the installed one on an upgrade
    `dpkg --force-confold -i ${file} >/dev/null`,
    `${q(dirs.bin)} --version >/dev/null`,
    // older uploads are not needed any more
    `for f in ${up}/keepalive-ts_*.deb; do [ "$f" = ${file} ] || rm -f "$f"; done`,
  ].join('\n');
  const del = [
    'set -u',
    takeLock(host),
    removeIfOurs('keepalive-ts', dirs),
    `rm -f ${up}/keepalive-ts_*.deb`,
    `rmdir ${up} 2>/dev/null || true`,
  ].join('\n');
  return { create, delete: del };
}

/** Debian's keepalived from the host's package sources. */
export function keepalivedInstallScripts(host: string, dirs = DIRS) {
  const create = [
    'set -eu',
    takeLock(host),
    recordPrior('keepalived', dirs),
    `if ${installed('keepalive-ts')}; then echo "${host}: the keepalive-ts package is installed; Debian's keepalived conflicts with it" >&2; exit 1; fi`,
    `${installed('keepalived')} || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq keepalived >/dev/null`,
    'keepalived --version >/dev/null 2>&1',
  ].join('\n');
  return {
    create,
    delete: ['set -u', takeLock(host), removeIfOurs('keepalived', dirs)].join('\n'),
  };
}
