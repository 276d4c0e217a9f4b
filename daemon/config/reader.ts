// keepalived.conf preprocessing and tokenizing: comments, @ID conditional
// lines, $NAME definitions (also multi-line), ~SEQ, include with globs.
// Pure: files come through a SourceHost, so tests feed it from memory.
import * as path from 'node:path';
import { Diagnostics, type Position } from './diagnostics';
import {
  applyIncludeCheck,
  INCLUDE_KEYWORDS,
  INCLUDE_M,
  INCLUDE_R,
  INCLUDE_W,
} from './include-check';
import { decomment, tokenize, type Token } from './lexer';
import { GlibcRandom } from './random';

export interface SourceHost {
  /** file content; throws when it cannot be read */
  readFile(file: string): string;
  /** absolute paths matching an absolute glob pattern, sorted; [] when none */
  glob(pattern: string): string[];
  /** what is at a path (undefined: nothing); without it, only reading tells */
  stat?(file: string): { dir: boolean; regular: boolean; executable: boolean } | undefined;
}

export type { Token } from './lexer';

export interface Line extends Position {
  tokens: Token[];
}

export interface ReadOptions {
  /** value for @ID lines and $_INSTANCE (keepalived -i; default: short hostname) */
  configId?: string;
  /** seed of ${_RANDOM} (keepalived: random_seed, else the time); absent: 0 */
  randomSeed?: number;
}

interface Definition {
  /** one entry per line; a single-line definition has one */
  lines: string[];
  multiline: boolean;
}

const MAX_EXPANSIONS = 64;
/** keepalived's line buffer is a few KiB; ours is generous but bounded */
const MAX_LINE = 64 * 1024;
/** bound on generated lines (~SEQ, multi-line parameters) so hostile input cannot exhaust memory */
const MAX_GENERATED_LINES = 1_000_000;
/** keepalived has no bound (a self-include recurses until fopen fails with EMFILE) */
const MAX_INCLUDE_DEPTH = 32;
/** one config file, read through fs-host.ts: far above real configs (10,000 real servers ~ 3 MiB); a hostile file at the cap costs a reload ~5 s of the main thread, not the VRRP thread */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** all files of one read, includes and globs together */
const MAX_TOTAL_CHARS = 32 * 1024 * 1024;
/** file reads of one read: a file included many times counts each time */
const MAX_FILE_READS = 10_000;

export class Reader {
  private readonly defs = new Map<string, Definition>();
  private readonly out: Line[] = [];
  private readonly stack: string[] = [];
  private generated = 0;
  private budgetReported = false;
  private totalChars = 0;
  private fileReads = 0;
  private sizeReported = false;
  /** include_check's flags in force (include-check.ts) */
  private includeCheck = 0;
  private random?: GlibcRandom;
  /** ${_RANDOM} was expanded */
  randomUsed = false;
  /** the value of the last random_seed line read */
  seenSeed?: number;

  constructor(
    private readonly host: SourceHost,
    private readonly diag: Diagnostics,
    private readonly opts: ReadOptions = {},
  ) {}

  /** Read a top-level file (or glob) into logical lines. */
  read(file: string): Line[] {
    const abs = path.resolve(file);
    const files = /[*?[]/.test(abs) ? this.host.glob(abs) : [abs];
    if (files.length === 0) this.diag.error({ file, line: 0 }, `no config file matches '${file}'`);
    for (const f of files) this.readFile(f, { file, line: 0 });
    return this.out;
  }

  private readFile(file: string, from: Position, unreadable?: (msg: string) => void) {
    if (this.stack.includes(file)) {
      this.diag.error(from, `include: cycle: ${[...this.stack, file].join(' -> ')}`);
      return;
    }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.diag.error(from, `include: nested more than ${MAX_INCLUDE_DEPTH} deep`);
      return;
    }
    let text: string;
    try {
      text = this.host.readFile(file);
    } catch (e) {
      const msg = `cannot read '${file}': ${(e as Error).message}`;
      // a file over the size limit is always an error: refusing it is ours, not the admin's setup
      if (unreadable && (e as { code?: string }).code !== 'EFBIG') unreadable(msg);
      else this.diag.error(from, msg);
      return;
    }
    this.totalChars += text.length;
    if (++this.fileReads > MAX_FILE_READS || this.totalChars > MAX_TOTAL_CHARS) {
      if (!this.sizeReported)
        this.diag.error(
          from,
          `include: more than ${MAX_FILE_READS} file reads or ${MAX_TOTAL_CHARS >> 20} MiB of configuration in all`,
        );
      this.sizeReported = true;
      return;
    }
    this.stack.push(file);
    const savedCheck = this.includeCheck;
    const lines = text.replace(/^\uFEFF/, '').split('\n');
    let pendingDef: Definition | undefined;
    for (let i = 0; i < lines.length; i++) {
      const at = { file, line: i + 1 };
      const raw = lines[i];
      if (raw.includes('\0')) {
        // keepalived's fgets/strlen would cut the line at the NUL; a NUL means a binary file
        this.diag.error(at, 'NUL byte: binary data, not a config file; rest of the file ignored');
        break;
      }
      if (raw.length > MAX_LINE) {
        this.diag.error(at, `line longer than ${MAX_LINE} characters`);
        continue;
      }
      const { text: clean, continued } = decomment(raw.replace(/\r$/, ''), at, this.diag);
      if (clean.includes('\uFFFD')) {
        // bytes that are not UTF-8 are fine in comments (legacy encodings), not in values
        this.diag.error(at, 'bytes that are not UTF-8 (shown as U+FFFD) outside a comment');
        continue;
      }
      if (pendingDef) {
        // a multi-line $NAME=... definition goes on while lines end in '\'
        if (clean !== '') pendingDef.lines.push(clean);
        if (!continued) pendingDef = undefined;
        continue;
      }
      if (clean === '') continue;
      const def = this.tryDefinition(clean, continued);
      if (def) {
        if (continued) pendingDef = def;
        continue;
      }
      this.processLine(clean, at, 0);
    }
    this.includeCheck = savedCheck;
    this.stack.pop();
  }

  /** `$NAME=value`: stores it and returns the definition, or undefined if the line is not one. */
  private tryDefinition(text: string, continued: boolean): Definition | undefined {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(text);
    if (!m) return undefined;
    const def: Definition = { lines: m[2] === '' ? [] : [m[2]], multiline: continued };
    this.defs.set(m[1], def);
    return def;
  }

  private processLine(text: string, at: Position, depth: number) {
    if (depth > MAX_EXPANSIONS) {
      this.diag.error(at, 'parameter expansion nested too deep (recursive definition?)');
      return;
    }
    if (text.length > MAX_LINE) {
      this.diag.error(at, `line longer than ${MAX_LINE} characters (after parameter expansion)`);
      return;
    }
    if (++this.generated > MAX_GENERATED_LINES) {
      if (!this.budgetReported)
        this.diag.error(
          at,
          `more than ${MAX_GENERATED_LINES} lines generated by ~SEQ / parameters`,
        );
      this.budgetReported = true;
      return;
    }
    // @ID / @^ID: the line applies only to (or not to) the config id
    if (text.startsWith('@')) {
      const neg = text[1] === '^';
      const m = /^@\^?(\S+)\s+(.*)$/.exec(text);
      if (!m) return;
      const match = m[1] === (this.opts.configId ?? '');
      if (match === neg) return;
      text = m[2];
    }
    if (text.startsWith('$')) {
      if (this.tryDefinition(text, false)) return;
    }
    if (text.startsWith('~SEQ')) {
      this.expandSeq(text, at, depth);
      return;
    }
    if (text.includes('$')) {
      const expanded = this.substitute(text, at);
      if (expanded !== undefined) {
        for (const l of expanded) if (!this.budgetReported) this.processLine(l, at, depth + 1);
        return;
      }
    }
    const tokens = tokenize(text, at, this.diag);
    if (tokens.length === 0) return;
    const word = tokens[0].quoted ? '' : tokens[0].text;
    const includeType = INCLUDE_KEYWORDS[word];
    if (includeType !== undefined) {
      if (tokens.length !== 2) {
        this.diag.error(at, `${word}: expects exactly one file name or pattern`);
        return;
      }
      this.include(tokens[1].text, at, this.includeCheck | includeType);
      return;
    }
    // these act where they are read, as in keepalived; the keywords are declared in global_defs too
    if (word === 'include_check')
      this.includeCheck = applyIncludeCheck(
        this.includeCheck,
        tokens.slice(1).map((t) => t.text),
      );
    if (word === 'random_seed' && /^\d+$/.test(tokens[1]?.text ?? ''))
      this.seenSeed = Number(tokens[1].text);
    this.out.push({ file: at.file, line: at.line, tokens });
  }

  /** include a file or pattern; `checks`: the problems that are errors (include-check.ts) */
  private include(pattern: string, at: Position, checks: number) {
    const report = (flag: number, msg: string) =>
      checks & flag ? this.diag.error(at, msg) : this.diag.warn(at, msg);
    const abs = path.resolve(path.dirname(at.file), pattern);
    const wild = /[*?[]/.test(abs);
    const files = wild ? this.host.glob(abs) : [abs];
    if (wild && files.length === 0) {
      // a missing directory is "missing", an existing one without matches "no match"
      const dir = abs.slice(0, abs.search(/[*?[]/)).replace(/\/[^/]*$/, '') || '/';
      if (this.host.stat && !this.host.stat(dir)?.dir)
        report(INCLUDE_M, `include: config files missing '${pattern}'`);
      else report(INCLUDE_W, `include: no files match '${pattern}'`);
      return;
    }
    for (const f of files) {
      const st = this.host.stat?.(f);
      if (this.host.stat && !st) {
        report(INCLUDE_M, `include: config file missing '${f}'`);
        continue;
      }
      if (st && (st.dir || !st.regular || st.executable)) {
        const what = st.dir ? 'a directory' : 'not a regular non-executable file';
        report(INCLUDE_R, `include: '${f}' is ${what} - skipping`);
        continue;
      }
      this.readFile(f, at, (msg) => report(st ? INCLUDE_R : INCLUDE_R | INCLUDE_M, msg));
    }
  }

  /**
   * Replace $NAME and ${NAME} with their definitions. Returns the resulting
   * lines (several when a multi-line definition is used), or undefined when
   * nothing was replaced. Unknown names stay as written, like keepalived.
   */
  private substitute(text: string, at: Position): string[] | undefined {
    let changed = false;
    let multi: string[] | undefined;
    // keepalived: a bare $NAME must end at white space, ',' , ')' or the line's end; else use ${NAME}
    const re = /\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)(?=[\s,)]|$))/g;
    const builtin = (name: string): Definition | undefined => {
      if (name === '_PWD') return { lines: [path.dirname(at.file)], multiline: false };
      if (name === '_INSTANCE') return { lines: [this.opts.configId ?? ''], multiline: false };
      if (name === '_RANDOM') return { lines: [this.randomValue()], multiline: false };
      return undefined;
    };
    // ${_RANDOM MIN [MAX]}: the one builtin with parameters
    text = text.replace(
      /\$\{_RANDOM\s+(\d+)(?:\s+(\d+))?\s*\}/g,
      (_w, min: string, max?: string) => {
        changed = true;
        return this.randomValue(Number(min), max === undefined ? undefined : Number(max), at);
      },
    );
    const result = text.replace(
      re,
      (whole, _b, braced: string | undefined, bare: string | undefined) => {
        const name = braced ?? bare!;
        const def = this.defs.get(name) ?? builtin(name);
        if (!def) return whole;
        changed = true;
        if (def.multiline) {
          // keepalived: a multi-line definition expands to its lines; the rest of the line is dropped
          multi = def.lines;
          return '\u0000';
        }
        return def.lines.join(' ');
      },
    );
    if (!changed) return undefined;
    if (multi) {
      const before = result.slice(0, result.indexOf('\u0000'));
      const lines = [...(multi as string[])];
      if (lines.length && before.trim()) lines[0] = `${before}${lines[0]}`;
      return lines;
    }
    return [result];
  }

  private randomValue(min = 0, max = 32767, at?: Position): string {
    this.randomUsed = true;
    this.random ??= new GlibcRandom(this.opts.randomSeed ?? 0);
    if (min > max) {
      if (at) this.diag.error(at, `\${_RANDOM ${min} ${max}}: MIN is above MAX`);
      return String(min);
    }
    return this.random.value(min, max);
  }

  /** ~SEQ(var, end) | ~SEQ(var, start, end) | ~SEQ(var, start, step, end) TEXT */
  private expandSeq(text: string, at: Position, depth: number) {
    const m = /^~SEQ(x?)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,([^)]*)\)\s*(.*)$/.exec(text);
    if (!m) {
      this.diag.error(at, `invalid ~SEQ specification '${text}'`);
      return;
    }
    const [, hex, variable, params, body] = m;
    const sub = this.substitute(params, at);
    const nums = (sub ? sub.join(' ') : params).split(',').map((s) => Number(s.trim()));
    if (nums.some((n) => !Number.isInteger(n)) || nums.length < 1 || nums.length > 3) {
      this.diag.error(at, `invalid ~SEQ values '${text}'`);
      return;
    }
    let start: number, step: number, end: number;
    if (nums.length === 1) {
      end = nums[0];
      step = end < 1 ? -1 : 1;
      start = end < 0 ? -1 : 1;
    } else if (nums.length === 2) {
      [start, end] = nums;
      step = start <= end ? 1 : -1;
    } else {
      [start, step, end] = nums;
      if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) {
        this.diag.error(at, `invalid ~SEQ values '${text}'`);
        return;
      }
    }
    if (Math.abs((end - start) / step) > 1_000_000) {
      this.diag.error(at, `~SEQ: more than 1,000,000 iterations`);
      return;
    }
    const saved = this.defs.get(variable);
    for (let v = start; (step > 0 ? v <= end : v >= end) && !this.budgetReported; v += step) {
      this.defs.set(variable, { lines: [hex ? v.toString(16) : String(v)], multiline: false });
      this.processLine(body, at, depth + 1);
    }
    if (saved) this.defs.set(variable, saved);
    else this.defs.delete(variable);
  }
}
