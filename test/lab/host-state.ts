// What a deploy may change on a lab host, as text: its processes, the sysctls
// and addresses the suite touches, the files under its folders, the nft
// ruleset. Equal before a deploy and after its destroy = the host is clean.
import { spawnSync } from 'node:child_process';
import type { Lab } from '../../scripts/lab/lab';

/** the processes in a host's network namespace, by command line (pids change when sshd restarts) */
const processes = (lab: Lab, h: string) =>
  spawnSync(
    'sh',
    ['-c', `ps -o args= -p "$(ip netns pids ${lab.topo.prefix}-${h} | tr '\\n' ,)0" | sort`],
    { encoding: 'utf8' },
  ).stdout;

export async function hostState(lab: Lab, h: string): Promise<string> {
  return (
    processes(lab, h) +
    (
      await lab.exec(h, [
        'sh',
        '-c',
        "sysctl -a 2>/dev/null | grep -E 'arp_ignore|arp_announce|send_redirects|ip_forward|fib_multipath_hash_policy' | sort; ip -o addr | awk '{print $2, $4}'; ip -o route; find /etc/keepalived /etc/keepalive-ts /etc/sysctl.d /etc/systemd/system /etc/bird /var/lib/keepalive-suite -mindepth 1 -printf '%p %m %s\\n' 2>&1 | sort; nft list ruleset",
      ])
    ).stdout
  );
}
