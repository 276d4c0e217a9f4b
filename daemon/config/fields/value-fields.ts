// Keywords whose value sits on their own line: numbers, strings, enums,
// flags, and custom grammars.
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import { Field, type Ctx } from './field';

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

/** A number in `text` matching `syntax`, within [min, max]; else a diagnostic and undefined. */
const reader =
  (syntax: RegExp) =>
  (text: string, min: number, max: number, kw: string, at: Position, ctx: Ctx) => {
    if (!syntax.test(text)) {
      ctx.diag.error(at, `${kw}: invalid number '${text}'`);
      return undefined;
    }
    const n = Number(text);
    if (n < min || n > max) {
      ctx.diag.error(at, `${kw}: number '${text}' outside range [${min}, ${max}]`);
      return undefined;
    }
    return n;
  };

export const readInt = reader(/^[+-]?\d+$/);
export const readNumber = reader(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/);

const TRUE = ['true', 'on', 'yes'];
const FALSE = ['false', 'off', 'no'];

/** An integer (readInt) or a decimal (readNumber) within [min, max]. */
export class NumericField extends ValueField<number> {
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

export class StringField extends ValueField<string> {
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

export class EnumField<E extends string> extends ValueField<E> {
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
export class FlagField extends ValueField<boolean> {
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
export class CustomField<T> extends ValueField<T> {
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
