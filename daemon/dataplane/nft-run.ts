// Runs the nft command (a whole transaction on stdin with `-f -`).
import { execFile } from 'node:child_process';

export function nft(
  args: string[],
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = execFile('nft', args, { timeout: 10_000, maxBuffer: 256 << 20 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
    if (input !== undefined) c.stdin!.end(input);
  });
}
