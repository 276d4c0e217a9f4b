// The names both the engine tier and the mock tests expect for the lab's host steps.

/**
 * The lab's host steps (two directors, two real servers) as the engine names
 * them: at the top level of the TypeScript program, or under a Cluster
 * component named PREFIX (`lvs-pair-d1-config`).
 */
export const labHostSteps = (prefix = '') =>
  [
    'pair-d1-config',
    'pair-d1-install-cmd',
    'pair-d1-sysctl',
    'pair-d2-config',
    'pair-d2-install-cmd',
    'pair-d2-sysctl',
    'pool-rs1-sysctl',
    'pool-rs1-vip',
    'pool-rs2-sysctl',
    'pool-rs2-vip',
  ].map((n) => (prefix ? `${prefix}-${n}` : n));
