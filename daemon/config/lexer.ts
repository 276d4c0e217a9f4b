// keepalived.conf lines into words: comments and escapes out, quotes and
// braces in. Pure.
import type { Diagnostics, Position } from './diagnostics';

export interface Token {
  text: string;
  /** written in quotes: never a brace, never a keyword */
  quoted: boolean;
}

/**
 * Remove a comment (from the first '!' or '#' outside quotes), escapes of
 * those characters, and surrounding white space. A trailing '\' marks a
 * continued (multi-line) definition.
 */
export function decomment(
  raw: string,
  at: Position,
  diag: Diagnostics,
): { text: string; continued: boolean } {
  // fast paths (most lines): no quote or escape before the comment, if any
  const first = raw.search(/["\\#!]/);
  if (first < 0) return { text: raw.trim(), continued: false };
  if (raw[first] === '#' || raw[first] === '!')
    return { text: raw.slice(0, first).trim(), continued: false };
  let out = '';
  let quote = false;
  let continued = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') {
      quote = !quote;
      out += c;
    } else if (c === '\\') {
      const n = raw[i + 1];
      if (n === undefined) {
        continued = true;
        break;
      }
      if (!quote && (n === '#' || n === '!')) {
        out += n;
      } else {
        out += c + n;
      }
      i++;
    } else if (!quote && (c === '#' || c === '!')) {
      break;
    } else {
      out += c;
    }
  }
  if (quote && !continued) diag.error(at, 'unterminated quote');
  return { text: out.trim(), continued };
}

/** keepalived's white space (C isspace in the C locale) */
const WHITE = new Set([' ', '\t', '\f', '\v', '\r', '\n']);

/** Split a clean line into words; quotes group, braces outside quotes are words of their own. */
export function tokenize(text: string, at: Position, diag: Diagnostics): Token[] {
  if (!/["{}]/.test(text)) {
    // fast path: plain words
    return text
      .split(/[ \t\f\v\r\n]+/)
      .filter((w) => w !== '')
      .map((w) => ({ text: w, quoted: false }));
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (WHITE.has(c)) {
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) {
        diag.error(at, 'unterminated quote');
        tokens.push({ text: text.slice(i + 1), quoted: true });
        break;
      }
      tokens.push({ text: text.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (c === '{' || c === '}') {
      tokens.push({ text: c, quoted: false });
      i++;
    } else {
      let j = i;
      while (
        j < text.length &&
        !WHITE.has(text[j]) &&
        text[j] !== '"' &&
        text[j] !== '{' &&
        text[j] !== '}'
      )
        j++;
      tokens.push({ text: text.slice(i, j), quoted: false });
      i = j;
    }
  }
  return tokens;
}
