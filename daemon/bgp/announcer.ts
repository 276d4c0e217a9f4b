// One round of active-active announcement: decide (announce.ts), compare
// with what BIRD shows, and tell BIRD the difference. The daemon runs a
// round after every checker/tracker/drain change and on a timer (which also
// repairs a restarted or reconfigured BIRD). roundPlan is pure; runRound is
// the thin edge over a BIRD connection.
import {
  decideAnnouncement,
  protocolToggle,
  type AnnounceGate,
  type AnnounceInput,
  type GateStep,
} from './announce';
import type { ProtocolRow } from './bird-reply';

export interface RoundPlan {
  step: GateStep;
  /** what BIRD must be told (nothing when it already matches) */
  toggle?: 'enable' | 'disable';
  /** BIRD cannot carry our decision: the reason, for the log and status */
  problem?: string;
  /** the BGP sessions as BIRD shows them (`upstream: up Established`), for status */
  sessions: string[];
}

export function roundPlan(
  gate: AnnounceGate,
  input: AnnounceInput,
  nowMs: number,
  rows: readonly ProtocolRow[],
  protocol: string,
): RoundPlan {
  const step = gate.step(decideAnnouncement(input), nowMs);
  const sessions = rows
    .filter((r) => r.proto === 'BGP')
    .map((r) => `${r.name}: ${r.state}${r.info ? ` ${r.info}` : ''}`);
  const row = rows.find((r) => r.name === protocol);
  if (!row)
    return { step, sessions, problem: `BIRD has no protocol ${protocol}: is its config ours?` };
  const toggle = protocolToggle(step.announced, row.state);
  return toggle ? { step, toggle, sessions } : { step, sessions };
}

/** What runRound needs of a BIRD connection (BirdControl has it). */
export interface BirdPort {
  showProtocols(): Promise<ProtocolRow[]>;
  toggle(verb: 'enable' | 'disable', protocol: string): Promise<{ changed: boolean }>;
}

export async function runRound(
  bird: BirdPort,
  gate: AnnounceGate,
  input: AnnounceInput,
  nowMs: number,
  protocol: string,
): Promise<RoundPlan> {
  const plan = roundPlan(gate, input, nowMs, await bird.showProtocols(), protocol);
  if (plan.toggle) await bird.toggle(plan.toggle, protocol);
  return plan;
}
