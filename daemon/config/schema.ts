// A small combinator language for keepalived keywords. Each keyword is
// declared once with its value type, range and default; the parser, the
// TypeScript types of the model (Infer<>) and `--dump-config` all come from
// that one declaration.
import { Diagnostics, type Position } from './diagnostics';
import type { Stmt } from './ast';

export interface Ctx {
  diag: Diagnostics;
  /** keywords keepalived knows that keepalive-ts accepts and ignores (a warning, not "unknown") */
  ignored?: ReadonlySet<string>;
}

/** A keyword's value: how to read it from a statement, and what it is when absent. */
export abstract class Field<T> {
  /** extra keyword spellings (keepalived aliases such as nb_get_retry for retry) */
  aliases: string[] = [];
  /** set when every occurrence appends to a list */
  repeated = false;
  /** false when only the aliases are keywords (a list collected from several keywords) */
  keyIsKeyword = true;

  abstract parse(stmt: Stmt, ctx: Ctx): T | undefined;
  abstract initial(): T;

  /** The keyword is spelled `keyword` (not the model's property name). */
  as(keyword: string): this {
    this.keyIsKeyword = false;
    this.aliases = [keyword];
    return this;
  }

  alias(...names: string[]): this {
    this.aliases.push(...names);
    return this;
  }

  /** Occurrences accumulate into an array (e.g. real_server, url, checkers). */
  many(): Field<T[]> {
    return new Many(this);
  }

  /** No default: absent is `undefined`. */
  optional(): Field<T | undefined> {
    return new Optional(this);
  }

  /** Default value when the keyword is absent. */
  default(v: T): Field<T> {
    return new WithDefault(this, v);
  }
}

export type Infer<F> = F extends Field<infer T> ? T : never;

class Many<T> extends Field<T[]> {
  constructor(private readonly inner: Field<T>) {
    super();
    this.repeated = true;
    this.aliases = [...inner.aliases];
    this.keyIsKeyword = inner.keyIsKeyword;
  }
  parse(stmt: Stmt, ctx: Ctx): T[] | undefined {
    const v = this.inner.parse(stmt, ctx);
    return v === undefined ? undefined : [v];
  }
  initial(): T[] {
    return [];
  }
}

class Optional<T> extends Field<T | undefined> {
  constructor(private readonly inner: Field<T>) {
    super();
    this.aliases = [...inner.aliases];
    this.keyIsKeyword = inner.keyIsKeyword;
  }
  parse(stmt: Stmt, ctx: Ctx) {
    return this.inner.parse(stmt, ctx);
  }
  initial() {
    return undefined;
  }
}

class WithDefault<T> extends Field<T> {
  constructor(
    private readonly inner: Field<T>,
    private readonly value: T,
  ) {
    super();
    this.aliases = [...inner.aliases];
    this.keyIsKeyword = inner.keyIsKeyword;
  }
  parse(stmt: Stmt, ctx: Ctx) {
    return this.inner.parse(stmt, ctx);
  }
  initial() {
    // primitives need no copy (structuredClone costs microseconds per call)
    return typeof this.value === 'object' && this.value !== null
      ? structuredClone(this.value)
      : this.value;
  }
}

/** A keyword with arguments on its line (no block). */
abstract class ValueField<T> extends Field<T> {
  constructor(
    readonly minArgs: number,
    readonly maxArgs: number,
  ) {
    super();
  }
  abstract read(args: string[], stmt: Stmt, ctx: Ctx): T | undefined;
  parse(stmt: Stmt, ctx: Ctx): T | undefined {
    if (stmt.block) {
      ctx.diag.error(stmt, `${stmt.keyword}: takes a value, not a block`);
      return undefined;
    }
    const args = stmt.args.map((a) => a.text);
    if (args.length < this.minArgs) {
      ctx.diag.error(stmt, `${stmt.keyword}: missing value`);
      return undefined;
    }
    if (args.length > this.maxArgs) {
      ctx.diag.warn(
        stmt,
        `${stmt.keyword}: extra arguments ignored: ${args.slice(this.maxArgs).join(' ')}`,
      );
    }
    return this.read(args.slice(0, this.maxArgs), stmt, ctx);
  }
  initial(): T {
    throw new Error('value fields need .default() or .optional()');
  }
}

export function readInt(
  text: string,
  min: number,
  max: number,
  kw: string,
  at: Position,
  ctx: Ctx,
) {
  if (!/^[+-]?\d+$/.test(text)) {
    ctx.diag.error(at, `${kw}: invalid number '${text}'`);
    return undefined;
  }
  const n = Number(text);
  if (n < min || n > max) {
    ctx.diag.error(at, `${kw}: number '${text}' outside range [${min}, ${max}]`);
    return undefined;
  }
  return n;
}

export function readNumber(
  text: string,
  min: number,
  max: number,
  kw: string,
  at: Position,
  ctx: Ctx,
) {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    ctx.diag.error(at, `${kw}: invalid number '${text}'`);
    return undefined;
  }
  const n = Number(text);
  if (n < min || n > max) {
    ctx.diag.error(at, `${kw}: number '${text}' outside range [${min}, ${max}]`);
    return undefined;
  }
  return n;
}

const TRUE = ['true', 'on', 'yes'];
const FALSE = ['false', 'off', 'no'];

/** An integer (readInt) or a decimal (readNumber) within [min, max]. */
class NumericField extends ValueField<number> {
  constructor(
    private readonly reader: typeof readInt,
    private readonly min: number,
    private readonly max: number,
  ) {
    super(1, 1);
  }
  read([v]: string[], stmt: Stmt, ctx: Ctx) {
    return this.reader(v, this.min, this.max, stmt.keyword, stmt, ctx);
  }
}

class StringField extends ValueField<string> {
  constructor(private readonly check?: (v: string) => string | undefined) {
    super(1, 1);
  }
  read([v]: string[], stmt: Stmt, ctx: Ctx) {
    const problem = this.check?.(v);
    if (problem) {
      ctx.diag.error(stmt, `${stmt.keyword}: ${problem}`);
      return undefined;
    }
    return v;
  }
}

class EnumField<E extends string> extends ValueField<E> {
  constructor(private readonly values: readonly E[]) {
    super(1, 1);
  }
  read([v]: string[], stmt: Stmt, ctx: Ctx) {
    const hit = this.values.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!hit)
      ctx.diag.error(stmt, `${stmt.keyword}: '${v}' is not one of ${this.values.join(', ')}`);
    return hit;
  }
}

/** `keyword` alone means true; `keyword yes|no|on|off|true|false` sets it. */
class FlagField extends ValueField<boolean> {
  constructor() {
    super(0, 1);
  }
  read(args: string[], stmt: Stmt, ctx: Ctx) {
    if (args.length === 0 || TRUE.includes(args[0].toLowerCase())) return true;
    if (FALSE.includes(args[0].toLowerCase())) return false;
    ctx.diag.error(stmt, `${stmt.keyword}: expected yes/no/on/off/true/false, got '${args[0]}'`);
    return undefined;
  }
  override initial() {
    return false;
  }
}

/** Any arguments, parsed by a function (for keywords with their own small grammar). */
class CustomField<T> extends ValueField<T> {
  constructor(
    min: number,
    max: number,
    private readonly fn: (args: string[], stmt: Stmt, ctx: Ctx) => T | undefined,
  ) {
    super(min, max);
  }
  read(args: string[], stmt: Stmt, ctx: Ctx) {
    return this.fn(args, stmt, ctx);
  }
}

export type Shape = Record<string, Field<unknown>>;
export type StructOf<S extends Shape> = { -readonly [K in keyof S]: Infer<S[K]> };

/** A block `keyword [header args] { ... }` whose children are keywords of `shape`. */
export class StructField<S extends Shape, H extends object = object> extends Field<
  StructOf<S> & H & { at: Position }
> {
  private readonly byName = new Map<string, [string, Field<unknown>]>();
  private readonly entries: [string, Field<unknown>][];
  private tpl?: Record<string, unknown>;
  /** fields whose default is an object or array: each result needs its own copy */
  private readonly mutableDefaults: [string, Field<unknown>][] = [];
  private readonly ignored?: ReadonlySet<string>;

  private template(): Record<string, unknown> {
    if (!this.tpl) {
      const t: Record<string, unknown> = { at: undefined };
      for (const [key, f] of this.entries) {
        const v = f.initial();
        t[key] = v;
        if (typeof v === 'object' && v !== null) this.mutableDefaults.push([key, f]);
      }
      this.tpl = t;
    }
    return this.tpl;
  }

  constructor(
    readonly shape: S,
    private readonly header?: (args: string[], stmt: Stmt, ctx: Ctx) => H | undefined,
    private readonly finish?: (v: StructOf<S> & H & { at: Position }, stmt: Stmt, ctx: Ctx) => void,
    ignored?: readonly string[],
  ) {
    super();
    if (ignored) this.ignored = new Set(ignored);
    this.entries = Object.entries(shape);
    for (const [key, f] of this.entries) {
      for (const name of [...(f.keyIsKeyword ? [key] : []), ...f.aliases])
        this.byName.set(name, [key, f]);
    }
  }

  /** Parse a list of statements (a block's content, or the whole file for the root). */
  parseBody(
    stmts: Stmt[],
    at: Position,
    ctx: Ctx,
    head: object = {},
  ): StructOf<S> & { at: Position } {
    // Start from a copy of one template object so every result shares one hidden class
    // (adding ~50 keys one by one is several times slower in V8).
    const out: Record<string, unknown> = { ...this.template(), ...head };
    out.at = { file: at.file, line: at.line };
    for (const [key, f] of this.mutableDefaults) out[key] = f.initial();
    // a block's ignored keywords hold in the blocks nested in it too
    if (this.ignored) ctx = { ...ctx, ignored: new Set([...(ctx.ignored ?? []), ...this.ignored]) };
    for (const s of stmts) {
      const hit = this.byName.get(s.keyword);
      if (!hit) {
        if (ctx.ignored?.has(s.keyword))
          ctx.diag.warn(s, `${s.keyword}: not supported by keepalive-ts, ignored`);
        else ctx.diag.warn(s, `unknown keyword '${s.keyword}'`);
        continue;
      }
      const [key, f] = hit;
      const v = f.parse(s, ctx);
      if (v === undefined) continue;
      if (f.repeated) (out[key] as unknown[]).push(...(v as unknown[]));
      else out[key] = v;
    }
    return out as StructOf<S> & { at: Position };
  }

  parse(stmt: Stmt, ctx: Ctx) {
    if (!stmt.block) {
      ctx.diag.error(stmt, `${stmt.keyword}: expects a block { ... }`);
      return undefined;
    }
    let head = {} as H;
    if (this.header) {
      const h = this.header(
        stmt.args.map((a) => a.text),
        stmt,
        ctx,
      );
      if (h === undefined) return undefined;
      head = h;
    } else if (stmt.args.length) {
      ctx.diag.warn(
        stmt,
        `${stmt.keyword}: extra arguments ignored: ${stmt.args.map((a) => a.text).join(' ')}`,
      );
    }
    const v = this.parseBody(stmt.block, stmt, ctx, head) as StructOf<S> & H & { at: Position };
    this.finish?.(v, stmt, ctx);
    return v;
  }

  initial() {
    // an absent block: every keyword at its default (nothing to diagnose in an empty body)
    return this.parseBody([], { file: '', line: 0 }, { diag: new Diagnostics() }) as StructOf<S> &
      H & { at: Position };
  }
}

/** A block whose every line is one entry (virtual_ipaddress, unicast_peer, track_script...). */
class LinesField<T> extends Field<T[]> {
  constructor(
    private readonly entry: (words: string[], stmt: Stmt, ctx: Ctx) => T | undefined,
    private readonly emptyWarning?: string,
  ) {
    super();
    // keepalived appends when a value block appears twice
    this.repeated = true;
  }
  parse(stmt: Stmt, ctx: Ctx) {
    if (!stmt.block) {
      ctx.diag.error(stmt, `${stmt.keyword}: expects a block { ... }`);
      return undefined;
    }
    const out: T[] = [];
    if (stmt.block.length === 0 && this.emptyWarning)
      ctx.diag.warn(stmt, `${stmt.keyword}: ${this.emptyWarning}`);
    for (const s of stmt.block) {
      if (s.block) {
        ctx.diag.error(s, `${stmt.keyword}: unexpected block`);
        continue;
      }
      const v = this.entry([s.keyword, ...s.args.map((a) => a.text)], s, ctx);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  initial(): T[] {
    return [];
  }
}

/** Several block keywords collected into one list of `{ type: KEYWORD, ... }` (checkers). */
export type TaggedOf<M extends Record<string, Field<unknown>>> = {
  [K in keyof M & string]: { type: K } & Infer<M[K]>;
}[keyof M & string];

class TaggedField<M extends Record<string, Field<unknown>>> extends Field<TaggedOf<M>[]> {
  constructor(private readonly tags: M) {
    super();
    this.repeated = true;
    this.keyIsKeyword = false;
    this.aliases = Object.keys(tags);
  }
  parse(stmt: Stmt, ctx: Ctx) {
    const v = this.tags[stmt.keyword].parse(stmt, ctx);
    return v === undefined ? undefined : [{ type: stmt.keyword, ...(v as object) } as TaggedOf<M>];
  }
  initial(): TaggedOf<M>[] {
    return [];
  }
}

export const kw = {
  tagged: <M extends Record<string, Field<unknown>>>(tags: M) => new TaggedField<M>(tags),
  int: (min: number, max: number) => new NumericField(readInt, min, max),
  number: (min: number, max: number) => new NumericField(readNumber, min, max),
  string: (check?: (v: string) => string | undefined) => new StringField(check),
  oneOf: <E extends string>(...values: E[]) => new EnumField<E>(values),
  flag: () => new FlagField(),
  custom: <T>(
    min: number,
    max: number,
    fn: (args: string[], stmt: Stmt, ctx: Ctx) => T | undefined,
  ) => new CustomField<T>(min, max, fn),
  block: <S extends Shape, H extends object = object>(
    shape: S,
    opts: {
      header?: (args: string[], stmt: Stmt, ctx: Ctx) => H | undefined;
      finish?: (v: StructOf<S> & H & { at: Position }, stmt: Stmt, ctx: Ctx) => void;
      /** keywords accepted with a warning here and in nested blocks (keepalived's, not acted on) */
      ignored?: readonly string[];
    } = {},
  ) => new StructField<S, H>(shape, opts.header, opts.finish, opts.ignored),
  lines: <T>(
    entry: (words: string[], stmt: Stmt, ctx: Ctx) => T | undefined,
    opts: { emptyWarning?: string } = {},
  ) => new LinesField<T>(entry, opts.emptyWarning),
};
