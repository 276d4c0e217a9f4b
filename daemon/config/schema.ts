// A small combinator language for keepalived keywords. Each keyword is
// declared once with its value type, range and default; the parser, the
// TypeScript types of the model (Infer<>) and `--dump-config` all come from
// that one declaration.
//
// `kw` is the vocabulary the keyword files use; the field classes live in
// fields/ (the base, value keywords, block keywords).
import type { Position } from './diagnostics';
import type { Stmt } from './ast';
import {
  LinesField,
  StructField,
  TaggedField,
  type Shape,
  type StructOf,
} from './fields/block-fields';
import type { Ctx, Field } from './fields/field';
import {
  CustomField,
  EnumField,
  FlagField,
  NumericField,
  readInt,
  readNumber,
  StringField,
} from './fields/value-fields';

export { Field, type Ctx, type Infer } from './fields/field';
export { readInt, readNumber } from './fields/value-fields';
export { StructField, type Shape, type StructOf, type TaggedOf } from './fields/block-fields';

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
    } = {},
  ) => new StructField<S, H>(shape, opts.header, opts.finish),
  lines: <T>(
    entry: (words: string[], stmt: Stmt, ctx: Ctx) => T | undefined,
    opts: { emptyWarning?: string } = {},
  ) => new LinesField<T>(entry, opts.emptyWarning),
};
