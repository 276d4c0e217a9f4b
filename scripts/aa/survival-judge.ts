// Connection survival, judged: what the client agent (survival-agent.ts)
// recorded for each long-lived connection through the VIP, turned into the
// numbers the issue asks for (connections broken, and why; stall per
// connection; the worst stall). Pure: the agent's record in, a verdict out.

/** How a connection ended before the run did (as the agent saw it). */
export type EndKind = 'error' | 'reset' | 'close';

/** One connection's life, times in ms on the agent's clock. */
export interface ConnRecord {
  id: number;
  /** when it was connected (its first message went out) */
  start: number;
  /** the time of every answer, in order */
  replies: number[];
  /** the real server that answered each of `replies` (same length) */
  servers: string[];
  /** set when the connection ended before the run did */
  end?: { t: number; kind: EndKind; detail?: string };
}

export type BreakReason = EndKind | 'server-change' | 'timeout' | 'never-answered';

export interface ConnVerdict {
  id: number;
  broken: boolean;
  reason?: BreakReason;
  /** longest time without an answer (ms), counting the run's end as due */
  stallMs: number;
  /** the real servers that answered, in order of first answer */
  servers: string[];
}

export interface SurvivalVerdict {
  connections: number;
  broken: number;
  byReason: Partial<Record<BreakReason, number>>;
  /** the longest stall of any connection that survived, and of all */
  maxStallMs: number;
  maxStallSurvivorMs: number;
  /** connections that stalled longer than the stall threshold but survived */
  stalled: number;
  /** connections per real server (by the first one that answered) */
  perServer: Record<string, number>;
  perConnection: ConnVerdict[];
}

export interface JudgeOptions {
  /** the end of the recording on the agent's clock */
  end: number;
  /** no answer for longer than this = broken (the client would have given up) */
  answerBoundMs: number;
  /** a survivor's stall longer than this is counted in `stalled` (e.g. twice the message interval) */
  stallThresholdMs: number;
}

/** Longest gap without an answer: from the start to the first answer, between answers, to `until`. */
export function longestStall(start: number, replies: readonly number[], until: number): number {
  let last = start;
  let worst = 0;
  for (const t of [...replies, until]) {
    worst = Math.max(worst, t - last);
    last = Math.max(last, t);
  }
  return worst;
}

export function judgeConnection(c: ConnRecord, o: JudgeOptions): ConnVerdict {
  const until = c.end ? c.end.t : o.end;
  const stallMs = longestStall(c.start, c.replies, until);
  const servers = [...new Set(c.servers)];
  const verdict = (reason?: BreakReason): ConnVerdict => ({
    id: c.id,
    broken: reason !== undefined,
    ...(reason ? { reason } : {}),
    stallMs,
    servers,
  });
  // a connection that ended, answered by another server, or went silent too long is broken:
  // an application on it would have seen an error or a protocol mix-up
  if (c.end) return verdict(c.end.kind);
  if (servers.length > 1) return verdict('server-change');
  if (!c.replies.length) return verdict('never-answered');
  if (stallMs > o.answerBoundMs) return verdict('timeout');
  return verdict();
}

export function judgeSurvival(conns: readonly ConnRecord[], o: JudgeOptions): SurvivalVerdict {
  const perConnection = conns.map((c) => judgeConnection(c, o));
  const byReason: Partial<Record<BreakReason, number>> = {};
  const perServer: Record<string, number> = {};
  for (const v of perConnection) {
    if (v.reason) byReason[v.reason] = (byReason[v.reason] ?? 0) + 1;
    if (v.servers[0]) perServer[v.servers[0]] = (perServer[v.servers[0]] ?? 0) + 1;
  }
  const survivors = perConnection.filter((v) => !v.broken);
  return {
    connections: conns.length,
    broken: perConnection.length - survivors.length,
    byReason,
    maxStallMs: Math.max(0, ...perConnection.map((v) => v.stallMs)),
    maxStallSurvivorMs: Math.max(0, ...survivors.map((v) => v.stallMs)),
    stalled: survivors.filter((v) => v.stallMs > o.stallThresholdMs).length,
    perServer,
    perConnection,
  };
}

/** One line for a table: "3/200 broken (reset 2, timeout 1), max stall 812 ms". */
export function describeSurvival(v: SurvivalVerdict): string {
  const why = Object.entries(v.byReason)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    `${v.broken}/${v.connections} broken${why ? ` (${why})` : ''}, ` +
    `max stall ${Math.round(v.maxStallMs)} ms (survivors ${Math.round(v.maxStallSurvivorMs)} ms, ` +
    `${v.stalled} stalled)`
  );
}
