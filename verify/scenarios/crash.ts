// Crash: every daemon process of the master killed at once (SIGSTOP, then
// SIGKILL: no priority-0 advert, the VIP left configured), so the backup waits
// its Master_Down_Interval; the same timings as an induced failover.
import type { Ctx } from '../context';
import { takeDownMaster } from './failover';

export const crash = (ctx: Ctx) => takeDownMaster(ctx, 'crash');
