// Statements and blocks from logical lines: `keyword args... [{ ... }]`.
// A '{' may stand on the keyword's line or on the next line, and a block may
// sit on one line (`virtual_ipaddress { 10.0.0.1 }`), as keepalived allows.
import { Diagnostics, type Position } from './diagnostics';
import type { Line, Token } from './reader';

export interface Stmt extends Position {
  keyword: string;
  args: Token[];
  /** present when the statement opened a block */
  block?: Stmt[];
}

const isBrace = (t: Token, b: '{' | '}') => !t.quoted && t.text === b;

export function buildTree(lines: Line[], diag: Diagnostics): Stmt[] {
  const root: Stmt[] = [];
  const open: { stmt: Stmt; children: Stmt[] }[] = [];
  const container = () => (open.length ? open[open.length - 1].children : root);

  for (const line of lines) {
    let words: Token[] = [];
    const flush = (): Stmt | undefined => {
      if (words.length === 0) return undefined;
      const stmt: Stmt = {
        keyword: words[0].text,
        args: words.slice(1),
        file: line.file,
        line: line.line,
      };
      container().push(stmt);
      words = [];
      return stmt;
    };
    for (const t of line.tokens) {
      if (isBrace(t, '{')) {
        let stmt = flush();
        if (!stmt) {
          // '{' on its own line: it opens the block of the statement just before
          const siblings = container();
          const prev = siblings[siblings.length - 1];
          if (prev && !prev.block) stmt = prev;
        }
        if (!stmt) {
          diag.error(line, "unexpected '{'");
          stmt = { keyword: '{', args: [], file: line.file, line: line.line };
        }
        stmt.block = [];
        open.push({ stmt, children: stmt.block });
      } else if (isBrace(t, '}')) {
        flush();
        if (open.length === 0) diag.error(line, "extra '}'");
        else open.pop();
      } else {
        words.push(t);
      }
    }
    flush();
  }
  for (const o of open.reverse())
    diag.error(o.stmt, `${o.stmt.keyword}: missing '}' for the block opened here`);
  return root;
}
