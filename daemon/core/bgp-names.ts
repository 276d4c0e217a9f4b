// Names and values the active-active announcement shares between the config
// reader (bgp_announce), the announcement logic (daemon/bgp) and the suite's
// declaration: defined once here, where every layer may import them.

/** When to withdraw the VIP: as soon as one service has no real server, or only when all have none. */
export const WITHDRAW_POLICIES = ['any-service-down', 'all-services-down'] as const;
export type WithdrawPolicy = (typeof WITHDRAW_POLICIES)[number];

/** A BIRD symbol (protocol name): a letter or _, then letters, digits, _ (BIRD's cf-lex.l). */
export const BIRD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const BIRD_NAME_RULE = 'a BIRD name: a letter or _, then letters, digits, _';
