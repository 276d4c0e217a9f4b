// A cursor over the words of one route or rule line: values, addresses and
// prefixes with the line's address family checked as they come, names
// looked up in iproute2's tables, and errors naming the line.
import { isIP } from 'node:net';
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';
import type { Prefix } from '../../core/route';
import { cNumber, rtLookup, type RtTable } from './rt-names';

export class Words {
  private i = 0;
  failed = false;
  fam: 4 | 6 | undefined;

  constructor(
    private readonly words: string[],
    readonly stmt: Stmt,
    readonly ctx: Ctx,
    private readonly what: 'route' | 'rule',
  ) {}

  get done() {
    return this.i >= this.words.length;
  }
  peek(): string | undefined {
    return this.words[this.i];
  }
  next(): string | undefined {
    return this.words[this.i++];
  }

  /** an error naming the line; the line is dropped (as keepalived drops it) */
  fail(msg: string): undefined {
    if (!this.failed) this.ctx.diag.error(this.stmt, `${this.what}: ${msg}`);
    this.failed = true;
    return undefined;
  }

  /**
   * `inet` / `inet6`: keepalived 2.2.7 also skips the word after it (its
   * parser steps twice); so do we, saying so when that word was meant.
   */
  familyWord(word: 'inet' | 'inet6') {
    if (!this.family(word === 'inet' ? 4 : 6)) return;
    const skipped = this.next();
    if (skipped !== undefined)
      this.ctx.diag.warn(
        this.stmt,
        `${this.what}: keepalived 2.2.7 skips the word after ${word} ('${skipped}'), so does keepalive-ts; put ${word} last on the line`,
      );
  }

  /** the line's family is (or becomes) `f` */
  family(f: 4 | 6, msg = `cannot mix IPv4 and IPv6 addresses for ${this.what}`): boolean {
    if (this.fam === undefined) this.fam = f;
    else if (this.fam !== f) {
      this.fail(msg);
      return false;
    }
    return true;
  }

  value(kw: string): string | undefined {
    const v = this.next();
    return v === undefined ? this.fail(`missing value after ${kw}`) : v;
  }

  uint(kw: string, max: number): number | undefined {
    const t = this.value(kw);
    if (t === undefined) return undefined;
    const n = cNumber(t);
    return n === undefined || n > max ? this.fail(`invalid ${kw} ${t}`) : n;
  }

  lookup(t: RtTable, what: string): number | undefined {
    const text = this.value(what);
    if (text === undefined) return undefined;
    const n = rtLookup(t, text);
    return n === undefined ? this.fail(`${what} ${text} not found or invalid`) : n;
  }

  address(kw: string): string | undefined {
    const a = this.value(kw);
    if (a === undefined) return undefined;
    const f = isIP(a);
    if (!f) return this.fail(`invalid ${kw} address ${a}`);
    return this.family(f as 4 | 6) ? a : undefined;
  }

  /** `[inet|inet6] IP` after via/gw */
  viaAddress(): string | undefined {
    const p = this.peek();
    if (p === 'inet' || p === 'inet6') {
      this.next();
      if (!this.family(p === 'inet' ? 4 : 6)) return undefined;
    }
    return this.address('via');
  }

  prefix(kw: string): Prefix | undefined {
    const t = this.value(kw);
    if (t === undefined) return undefined;
    return parsePrefix(t, this, this.what) ?? this.fail(`invalid ${kw} address ${t}`);
  }
}

/** `default|any|all`, `default6`, or `IP[/LEN]` (keepalived's parse_route); undefined if none */
export function parsePrefix(t: string, w: Words, what: string): Prefix | undefined {
  if (t === 'default' || t === 'any' || t === 'all') return { len: 0 };
  if (t === 'default6') {
    w.ctx.diag.warn(w.stmt, `${what}: 'default6' is deprecated, use 'inet6 default'`);
    return w.family(6) ? { len: 0 } : undefined;
  }
  const [address, len] = t.split('/', 2);
  const f = isIP(address);
  if (!f) return undefined;
  const max = f === 4 ? 32 : 128;
  let n = max;
  if (len !== undefined) {
    const v = /^\d+$/.test(len) ? Number(len) : NaN;
    if (v <= max) n = v;
    else
      w.ctx.diag.warn(
        w.stmt,
        `${what}: invalid prefix length ${len} for address ${t}, using ${max} (as keepalived)`,
      );
  }
  return w.family(f as 4 | 6) ? { address, len: n } : undefined;
}
