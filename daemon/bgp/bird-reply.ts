// BIRD's control socket protocol (what birdc speaks), pure. Every reply line
// is `DDDD-text` (more lines follow), `DDDD text` (the reply's last line) or
// ` text` (continues the previous line's code); `+text` is an asynchronous
// message. Codes: 0xxx done, 1xxx table entry, 2xxx table heading, 8xxx
// run-time error, 9xxx parse error (BIRD's doc/reply_codes; client.c's
// server_got_reply). A new connection first gets `0001 BIRD x.y.z ready.`.

export interface ReplyLine {
  /** a continuation line carries the code of the line it continues */
  code: number;
  text: string;
}

export interface BirdReply {
  /** the code of the last line: 0 OK, 8xxx/9xxx errors, ... */
  code: number;
  lines: ReplyLine[];
}

export const REPLY = {
  ok: 0,
  welcome: 1,
  alreadyDisabled: 8,
  disabled: 9,
  alreadyEnabled: 10,
  enabled: 11,
  protocolList: 1002,
  protocolHeading: 2002,
  noProtocolsMatch: 8003,
} as const;

/** A reply of BIRD that says no (8xxx run-time, 9xxx parse error), or a line we cannot read. */
export class BirdError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'BirdError';
  }
}

export const isErrorCode = (code: number) => code >= 8000;

/** Splits the socket's byte stream into replies; keeps a partial line for the next chunk. */
export class ReplyDecoder {
  private partial = '';
  private lines: ReplyLine[] = [];
  private lastCode: number | undefined;
  /** asynchronous messages (`+...`) seen so far */
  readonly asyncMessages: string[] = [];

  /** Feed received text; returns the replies it completed, in order. */
  push(chunk: string): BirdReply[] {
    const done: BirdReply[] = [];
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    for (const raw of parts) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const reply = this.line(line);
      if (reply) done.push(reply);
    }
    return done;
  }

  private line(line: string): BirdReply | undefined {
    if (line.startsWith('+')) {
      this.asyncMessages.push(line.slice(1));
      return undefined;
    }
    if (line.startsWith(' ')) {
      if (this.lastCode === undefined)
        throw new BirdError(`BIRD sent a continuation line with nothing to continue: "${line}"`);
      this.lines.push({ code: this.lastCode, text: line.slice(1) });
      return undefined;
    }
    const m = /^(\d{4})([ -])(.*)$/.exec(line);
    if (!m) throw new BirdError(`unexpected line from BIRD: "${line}"`);
    const code = Number(m[1]);
    this.lastCode = code;
    this.lines.push({ code, text: m[3] });
    if (m[2] === '-') return undefined;
    const reply = { code, lines: this.lines };
    this.lines = [];
    this.lastCode = undefined;
    return reply;
  }
}

/** The reply's text, for messages: its non-empty lines joined. */
export const replyText = (r: BirdReply) =>
  r.lines
    .map((l) => l.text.trim())
    .filter(Boolean)
    .join('; ');

/** Throws a BirdError for an 8xxx/9xxx reply, naming the command. */
export function expectOk(r: BirdReply, command: string): BirdReply {
  if (isErrorCode(r.code))
    throw new BirdError(`BIRD refused "${command}": ${r.code} ${replyText(r)}`, r.code);
  return r;
}

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `enable NAME` / `disable NAME` for one protocol (a BIRD symbol: nothing to escape). */
export function toggleCommand(verb: 'enable' | 'disable', protocol: string): string {
  // `all` is BIRD's keyword for every protocol, never one protocol's name
  if (!SYMBOL.test(protocol) || protocol.toLowerCase() === 'all')
    throw new BirdError(`not a BIRD protocol name: "${protocol}"`);
  return `${verb} ${protocol}`;
}

/**
 * The outcome of `enable`/`disable`: whether BIRD changed anything. BIRD says
 * `0011-NAME: enabled` or `0010-NAME: already enabled` (0009/0008 for
 * disable), then `0000`.
 */
export function toggleResult(
  r: BirdReply,
  verb: 'enable' | 'disable',
  protocol: string,
): { changed: boolean } {
  const command = `${verb} ${protocol}`;
  expectOk(r, command);
  const [changed, already] =
    verb === 'enable'
      ? [REPLY.enabled, REPLY.alreadyEnabled]
      : [REPLY.disabled, REPLY.alreadyDisabled];
  const mine = r.lines.filter((l) => l.text.startsWith(`${protocol}:`));
  if (mine.some((l) => l.code === changed)) return { changed: true };
  if (mine.some((l) => l.code === already)) return { changed: false };
  throw new BirdError(`unexpected reply to "${command}": ${r.code} ${replyText(r)}`, r.code);
}

export interface ProtocolRow {
  name: string;
  proto: string;
  table: string;
  /** up, down (disabled too), start, stop, flush */
  state: string;
  since: string;
  /** e.g. `Established`, `Active  Socket: Connection refused` */
  info: string;
}

/**
 * Rows of `show protocols`: `Name Proto Table State Since Info` (the Since
 * column must be one word: BIRD's default `timeformat protocol`).
 */
export function parseProtocols(r: BirdReply): ProtocolRow[] {
  expectOk(r, 'show protocols');
  return r.lines
    .filter((l) => l.code === REPLY.protocolList)
    .map((l) => {
      const [name, proto, table, state, since, ...info] = l.text.trim().split(/\s+/);
      if (!since) throw new BirdError(`unreadable protocol line from BIRD: "${l.text}"`);
      const rest = info.length
        ? l.text.slice(l.text.indexOf(info[0], l.text.indexOf(since) + since.length))
        : '';
      return { name, proto, table, state, since, info: rest.trim() };
    });
}
