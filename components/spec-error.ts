// The error of an invalid declaration: every problem named by its config path
// (`keepalive:cluster.directors[1].priority: ...`). No imports, so any part of
// the declaration (spec.ts, spec-bgp.ts) can use it.

/** One invalid value: where it is inside the declaration, and why. */
export interface SpecProblem {
  /** e.g. `directors[1].priority` ('' = the declaration itself) */
  path: string;
  message: string;
}

export class SpecError extends Error {
  /** each problem as `ROOT.PATH: message` (ROOT: where the declaration came from) */
  readonly issues: string[];
  constructor(
    readonly problems: SpecProblem[],
    root = 'keepalive:cluster',
  ) {
    const issues = problems.map(
      (p) => `${root}${p.path && !p.path.startsWith('[') ? '.' : ''}${p.path}: ${p.message}`,
    );
    super(issues.join('\n'));
    this.issues = issues;
  }
}

/** `['directors', 1, 'priority']` -> `directors[1].priority` */
export const pathText = (path: readonly PropertyKey[]) =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
