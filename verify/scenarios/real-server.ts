// Real-server failure: the first real server's port rejects connections (a
// temporary nftables rule that counts them, so the step knows client traffic
// reached it), until client connections stop failing; then it is repaired.
// Both verdicts are timed from the real server's clock to the master's
// checker events.
import { sleep } from '../../daemon/core/clock';
import { DATE_NS, parseEpochNs, toLocal } from '../clock-sync';
import { DROP_VERIFY_TABLE, until, VERIFY_TABLE, verifyTable, type Ctx } from '../context';
import { checkStep, timingStep, type Step } from '../report';
import { lastFailureAfter } from '../timeline';

export async function realServerFailure(ctx: Ctx): Promise<Step[]> {
  const { spec, remote, clock, tl, o, bounds, roles, ctl, port, cleanups } = ctx;
  const { runTimed, unc, mark, realServerEvent } = ctx;

  const rs = spec.realServers[0];
  const out: Step[] = [];
  cleanups.push(() => remote.run(rs.name, DROP_VERIFY_TABLE));
  mark(`${rs.name}:${port} refuses connections`);
  // the reject rule counts what it rejects: a step passes only on evidence that
  // client connections reached the failed server
  const r = await remote.run(
    rs.name,
    `nft -f - && ${DATE_NS}`,
    verifyTable(`tcp dport ${port} counter reject with tcp reset`),
  );
  const tFailHost = parseEpochNs(r.stdout);
  if (r.code !== 0 || tFailHost === undefined)
    return [
      checkStep(
        `${rs.name} taken out of service`,
        false,
        `could not fail its service: nft: ${r.stderr.trim()}`,
      ),
    ];
  const tFail = toLocal(ctx.hostClock(rs.name), tFailHost);
  const rsId = `${rs.address}:${port}`;
  if (o.probeHost) {
    await until(
      clock,
      bounds.rsOut * 1000 + 3000,
      () => clock.now() - tFail > 1500 && lastFailureAfter(tl.probes, tFail) !== undefined,
      100,
    );
    const last = lastFailureAfter(tl.probes, tFail);
    const rejected = Number(
      /packets (\d+)/.exec(
        (await remote.run(rs.name, `nft list table inet ${VERIFY_TABLE}`)).stdout,
      )?.[1] ?? 0,
    );
    const failed = tl.probes.filter((p) => p.t >= tFail && !p.ok).length;
    out.push(
      timingStep(
        `traffic stops reaching failed ${rs.name}`,
        last !== undefined && failed > 0 && rejected > 0 ? last : undefined,
        bounds.rsOut,
        last === undefined
          ? 'client connections kept failing'
          : failed === 0 || rejected === 0
            ? `no client connection reached ${rs.name} after its failure (${rejected} rejected there, ${failed} failed at the client)`
            : `from the failure to the last failed client connection (${failed} failed, ${rejected} rejected by ${rs.name})`,
        unc(rs.name, o.probeHost!),
      ),
    );
  }
  /** the master's checker verdict on rs (its event stream), timed from `from` (rs's clock) */
  const verdictStep = async (up: boolean, from: number, boundS: number) => {
    const at = await realServerEvent(rsId, up, from, boundS);
    return timingStep(
      `${rs.name} ${up ? 'back in service' : 'out of service'}`,
      at && at - from,
      boundS,
      `from the ${up ? 'repair' : 'failure'} (${rs.name}'s clock) to the master's verdict (its event stream, its clock)`,
      unc(rs.name, roles.master),
    );
  };
  if (ctl.events) out.push(await verdictStep(false, tFail, bounds.rsOut));
  mark(`${rs.name}:${port} serves again`);
  const tHeal = await runTimed(rs.name, DROP_VERIFY_TABLE);
  if (ctl.events) out.push(await verdictStep(true, tHeal, bounds.rsBack));
  await sleep(clock, 300);
  return out;
}
