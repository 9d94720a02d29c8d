/**
 * The tracker's choices, as pure functions of its book: which accounts a background sweep
 * refreshes from REST, and which accounts deserve one of the few venue account-channel
 * subscriptions (the venue allows 500 subscriptions per connection, markets included).
 */
import type { AccountBook } from "./account-book";
import { grossNotional } from "./account-view";

/**
 * Up to `n` accounts to refresh in the background: first those flagged for a resync (drift,
 * estimated funding), then never-synced ones, then the longest unsynced past `maxAgeMs`.
 * Accounts with a request in flight and accounts the venue does not know are skipped.
 */
export function backgroundCandidates(book: AccountBook, now: number, maxAgeMs: number, n: number, inflight: ReadonlyMap<number, number>): number[] {
  if (n <= 0) return [];
  const flagged: number[] = [];
  const aged: { id: number; at: number }[] = [];
  for (const a of book.accounts.values()) {
    if (a.missing || inflight.has(a.id)) continue;
    if (a.needsSync || a.syncedAt === null) flagged.push(a.id);
    else if (now - a.syncedAt >= maxAgeMs) aged.push({ id: a.id, at: a.syncedAt });
    if (flagged.length >= n) break;
  }
  if (flagged.length >= n) return flagged.slice(0, n);
  aged.sort((x, y) => x.at - y.at);
  return [...flagged, ...aged.slice(0, n - flagged.length).map((x) => x.id)];
}

/**
 * The accounts to follow on the venue's account channel: every configured one, then the largest
 * by gross notional, up to `budget`.
 */
export function desiredStream(book: AccountBook, configured: ReadonlySet<number>, budget: number): Set<number> {
  const out = new Set<number>();
  for (const id of configured) if (out.size < budget && book.accounts.has(id)) out.add(id);
  if (out.size >= budget) return out;
  const ranked: { id: number; gross: number }[] = [];
  for (const a of book.accounts.values()) {
    if (out.has(a.id) || a.missing || a.positions.size === 0) continue;
    const gross = grossNotional(book, a);
    if (gross > 0) ranked.push({ id: a.id, gross });
  }
  ranked.sort((x, y) => y.gross - x.gross || x.id - y.id);
  for (const r of ranked) {
    if (out.size >= budget) break;
    out.add(r.id);
  }
  return out;
}
