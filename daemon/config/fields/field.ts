// The base of every keyword declaration: a Field reads one statement and
// knows its value when the keyword is absent; many/optional/default wrap it.
import type { Diagnostics } from '../diagnostics';
import type { Stmt } from '../ast';

export interface Ctx {
  diag: Diagnostics;
  /** the block keywords from the top down to the block being read */
  path?: readonly string[];
  /** the warning for a keepalived keyword keepalive-ts does not implement (keywords/unsupported.ts) */
  unsupported?: (path: readonly string[], keyword: string) => string | undefined;
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

/** A field that parses like `inner` and differs only in its value when absent. */
abstract class Wrapped<T, V extends T | undefined> extends Field<V> {
  constructor(protected readonly inner: Field<T>) {
    super();
    this.aliases = [...inner.aliases];
    this.keyIsKeyword = inner.keyIsKeyword;
  }
  parse(stmt: Stmt, ctx: Ctx): V | undefined {
    return this.inner.parse(stmt, ctx) as V | undefined;
  }
}

class Optional<T> extends Wrapped<T, T | undefined> {
  initial() {
    return undefined;
  }
}

class WithDefault<T> extends Wrapped<T, T> {
  constructor(
    inner: Field<T>,
    private readonly value: T,
  ) {
    super(inner);
  }
  initial() {
    // primitives need no copy (structuredClone costs microseconds per call)
    return typeof this.value === 'object' && this.value !== null
      ? structuredClone(this.value)
      : this.value;
  }
}
