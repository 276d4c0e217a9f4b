// Keywords that open a block: a struct of keywords, a list of one-line
// entries, or several tagged block keywords collected into one list.
import { Diagnostics, type Position } from '../diagnostics';
import type { Stmt } from '../ast';
import { Field, type Ctx, type Infer } from './field';

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
  ) {
    super();
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
    const path = ctx.path ?? [];
    for (const s of stmts) {
      const hit = this.byName.get(s.keyword);
      // a keepalived keyword keepalive-ts does not act on: a warning, and read only if declared
      const unsupported = ctx.unsupported?.(path, s.keyword);
      if (unsupported) ctx.diag.warn(s, unsupported);
      if (!hit) {
        if (!unsupported) ctx.diag.warn(s, `unknown keyword '${s.keyword}'`);
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
    const inner = { ...ctx, path: [...(ctx.path ?? []), stmt.keyword] };
    const v = this.parseBody(stmt.block, stmt, inner, head) as StructOf<S> & H & { at: Position };
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
export class LinesField<T> extends Field<T[]> {
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

export class TaggedField<M extends Record<string, Field<unknown>>> extends Field<TaggedOf<M>[]> {
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
