// The daemon's install on a director, made atomic: every bundle unpacks into
// its own release folder (named by the bundle's hash) next to the install
// dir, and the install dir is a symlink swapped with one rename (`mv -T`).
// An interruption at any line leaves the old release in place (or none, as
// before). The two releases installed before the current one are kept.
import { shellQuote as q } from '../daemon/core/argv';
import { takeLock } from './host-script';

export const NODE_MIN = 20;

/** Where an install dir's releases live, and the release of a bundle. */
export const releasesDir = (installDir: string) => `${installDir}.releases`;
export const releaseName = (bundleSha: string) => bundleSha.slice(0, 16);

export function installScripts(host: string, installDir: string, bundleSha: string) {
  const dir = q(installDir);
  const rels = q(releasesDir(installDir));
  const name = releaseName(bundleSha);
  const rel = q(`${releasesDir(installDir)}/${name}`);
  // the symlink's target, relative so the host's folders can move together
  const base = `${installDir.split('/').pop()}.releases`;
  const target = q(`${base}/${name}`);
  const create = [
    'set -eu',
    `# bundle sha256 ${bundleSha}`,
    takeLock(host),
    `v=$(node -p 'process.versions.node' 2>/dev/null || echo none)`,
    `case "$v" in none) echo "keepalive-ts needs Node.js >= ${NODE_MIN} on ${host}: node not found" >&2; exit 1;; esac`,
    `[ "\${v%%.*}" -ge ${NODE_MIN} ] || { echo "keepalive-ts needs Node.js >= ${NODE_MIN} on ${host}, found $v" >&2; exit 1; }`,
    `mkdir -p ${rels}`,
    // staging left by an interrupted run (no run holds the lock now)
    `rm -rf ${rels}/.staging-*`,
    // a release folder exists only complete: it is renamed in after its checks
    `if [ ! -d ${rel} ]; then`,
    `  s=${rels}/.staging-$$ && mkdir "$s"`,
    `  cat > "$s/bundle.b64"`,
    `  echo "${bundleSha}  $s/bundle.b64" | sha256sum -c --status - || { rm -rf "$s"; echo "${host}: the daemon bundle arrived incomplete" >&2; exit 1; }`,
    `  mkdir "$s/app" && base64 -d < "$s/bundle.b64" | tar -xz -C "$s/app"`,
    `  node "$s/app/bin/keepalive-ts" --version >/dev/null`,
    `  mv -T "$s/app" ${rel} && rm -rf "$s"`,
    'fi',
    `ln -sfn ${target} ${dir}.link-new`,
    // an install dir from before releases (a real folder) is moved aside: two renames
    `if [ -d ${dir} ] && [ ! -L ${dir} ]; then rm -rf ${rels}/legacy && mv -T ${dir} ${rels}/legacy; fi`,
    `mv -T ${dir}.link-new ${dir}`,
    // a reload (SIGHUP) keeps the daemon on the code it started with: the two
    // releases installed last before this one stay, for it and for a rollback
    `ls -1t ${rels} | grep -vx ${name} | tail -n +3 | while IFS= read -r r; do rm -rf ${rels}/"$r"; done`,
    `rm -rf ${dir}.new`,
  ].join('\n');
  const del = [
    'set -u',
    takeLock(host),
    `rm -f ${dir}.link-new; [ -L ${dir} ] && rm -f ${dir} || rm -rf ${dir}`,
    `rm -rf ${rels} ${dir}.new`,
    `rmdir "$(dirname ${dir})" 2>/dev/null || true`,
  ].join('\n');
  return { create, delete: del };
}
