// npm run package:deb: the Debian package, built with Debian's own tools
// (dpkg-shlibdeps for the library dependencies, dpkg-deb for the archive).
//   node dist/scripts/package/build-deb.js [--version V] [--exe FILE] [--out DIR]
// Defaults: package.json's version, dist/sea/keepalive-ts (npm run build:sea),
// dist/deb. Prints the path of the .deb.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  MAINTAINER_SCRIPTS,
  PACKAGE,
  PAYLOAD,
  changelogFor,
  conffilesText,
  controlText,
  debFileName,
  parseShlibs,
} from './deb-meta';

export interface BuildOptions {
  /** the checkout */
  root: string;
  version: string;
  executable: string;
  outDir: string;
  /** dpkg-deb compression: xz (the release default) or gzip -1 for quick test builds */
  fast?: boolean;
}

const run = (cmd: string, args: string[], cwd?: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The executable's shared-library dependencies, as dpkg-shlibdeps computes them. */
function shlibsDepends(executable: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-shlibs-'));
  try {
    fs.mkdirSync(path.join(dir, 'debian'));
    // dpkg-shlibdeps wants a source tree's debian/control to name the package
    fs.writeFileSync(
      path.join(dir, 'debian/control'),
      `Source: ${PACKAGE}\n\nPackage: ${PACKAGE}\nArchitecture: any\n`,
    );
    return parseShlibs(run('dpkg-shlibdeps', ['-O', `-e${executable}`], dir));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function installedSizeKiB(stage: string): number {
  return Number(run('du', ['-s', '-k', '--exclude=DEBIAN', stage]).split(/\s+/)[0]);
}

export function buildDeb(o: BuildOptions): string {
  if (!fs.existsSync(o.executable)) {
    throw new Error(`keepalive-ts: ${o.executable} missing: build it first with npm run build:sea`);
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-deb-'));
  try {
    const changelog = changelogFor(
      fs.readFileSync(path.join(o.root, 'packaging/deb/changelog'), 'utf8'),
      o.version,
      new Date(),
    );
    for (const f of PAYLOAD) {
      const to = path.join(stage, f.to);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      if (f.from === 'EXECUTABLE') fs.copyFileSync(o.executable, to);
      else if (f.from === 'CHANGELOG') fs.writeFileSync(to, changelog);
      else fs.copyFileSync(path.join(o.root, f.from), to);
      fs.chmodSync(to, f.mode);
      // -n: no name or time stamp, so builds are reproducible
      if (f.gzip) run('gzip', ['-9', '-n', '-f', to]);
    }
    const debian = path.join(stage, 'DEBIAN');
    fs.mkdirSync(debian);
    for (const s of MAINTAINER_SCRIPTS) {
      fs.copyFileSync(path.join(o.root, 'packaging/deb', s), path.join(debian, s));
      fs.chmodSync(path.join(debian, s), 0o755);
    }
    fs.writeFileSync(path.join(debian, 'conffiles'), conffilesText());
    fs.writeFileSync(
      path.join(debian, 'md5sums'),
      run(
        'sh',
        [
          '-c',
          "find . -path ./DEBIAN -prune -o -type f -printf '%P\\0' | sort -z | xargs -0 md5sum",
        ],
        stage,
      ),
    );
    fs.writeFileSync(
      path.join(debian, 'control'),
      controlText({
        version: o.version,
        shlibsDepends: shlibsDepends(path.join(stage, PAYLOAD[0].to)),
        installedSizeKiB: installedSizeKiB(stage),
      }),
    );
    for (const d of walkDirs(stage)) fs.chmodSync(d, 0o755);
    fs.mkdirSync(o.outDir, { recursive: true });
    const deb = path.join(o.outDir, debFileName(o.version));
    const compression = o.fast ? ['-Zgzip', '-z1'] : ['-Zxz'];
    // --root-owner-group: every file root:root without fakeroot
    run('nice', [
      '-n',
      '10',
      'dpkg-deb',
      '--root-owner-group',
      ...compression,
      '--build',
      stage,
      deb,
    ]);
    return deb;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function walkDirs(dir: string): string[] {
  const out = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...walkDirs(path.join(dir, e.name)));
  }
  return out;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '../../..');
  try {
    const { values } = parseArgs({
      options: {
        version: { type: 'string' },
        exe: { type: 'string' },
        out: { type: 'string' },
        fast: { type: 'boolean' },
      },
    });
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    const deb = buildDeb({
      root,
      version: values.version ?? pkg.version,
      executable: path.resolve(values.exe ?? path.join(root, 'dist/sea/keepalive-ts')),
      outDir: path.resolve(values.out ?? path.join(root, 'dist/deb')),
      fast: values.fast,
    });
    process.stdout.write(deb + '\n');
  } catch (e) {
    const err = e as Error & { stderr?: string };
    process.stderr.write(`package:deb: ${err.message}${err.stderr ? '\n' + err.stderr : ''}\n`);
    process.exit(1);
  }
}
