// One call at a time: callers that come while one runs share its result.
// Hundreds of status readers (control clients, scrapes) then cost the VRRP
// thread one status request at a time, not one each.
export function singleFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () =>
    (running ??= fn().finally(() => {
      running = undefined;
    }));
}
