// Applies renderNft() with `nft -f -` and notices outside changes by
// comparing `nft list` output with what it showed right after our apply.
import { execFile } from 'node:child_process';
import { DR_TABLE, NAT_TABLE, renderNft, renderNftClear } from './nft';
import type { Dataplane, Service } from './types';
import type { Log } from '../core/log';

function nft(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = execFile('nft', args, { timeout: 10_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
    if (input !== undefined) c.stdin!.end(input);
  });
}

export class NftDataplane implements Dataplane {
  readonly name = 'nftables' as const;
  private desired: Service[] = [];
  private seen = '';
  private expectTables = false;
  errors = 0;

  constructor(private readonly log: Log) {}

  private async snapshot(): Promise<string> {
    const a = await nft(['list', 'table', 'netdev', DR_TABLE]);
    const b = await nft(['list', 'table', 'ip', NAT_TABLE]);
    return (a.code === 0 ? a.out : '') + (b.code === 0 ? b.out : '');
  }

  async apply(services: Service[]): Promise<void> {
    this.desired = services;
    const r = renderNft(services);
    for (const s of r.skipped) this.log('warn', `dataplane: ${s.id} not programmed: ${s.reason}`);
    const res = await nft(['-f', '-'], r.text);
    if (res.code !== 0) {
      this.errors++;
      throw new Error(`nft: ${res.err.trim() || res.out.trim()}`);
    }
    this.seen = await this.snapshot();
    this.expectTables = /^table /m.test(r.text);
  }

  async reconcile(): Promise<boolean> {
    const now = await this.snapshot();
    // unchanged since our apply, and present if we created anything (a listing that failed reads as empty)
    if (now === this.seen && !(this.expectTables && now === '')) return false;
    this.log('warn', 'dataplane: nftables tables changed outside keepalive-ts; re-applying');
    await this.apply(this.desired);
    return true;
  }

  async clear(): Promise<void> {
    await nft(['-f', '-'], renderNftClear());
    this.seen = '';
  }
}
