/**
 * What the /api/v1/signals routes need, built from the store, the live market list and the webhook
 * policy: rule validation (domain), the URL check at creation (SSRF step 1), test events through
 * the outbox, paced dry-run events, and backtests over stored history. Every node builds this (API
 * nodes included): it only reads and writes the store; delivery happens on the ingest leader.
 */
import { ruleProblems } from "../domain/signals/compile";
import type { Clock } from "../lib/clock";
import type { LiveMarketView } from "../market/live";
import type { Store } from "../store/ports";
import type { SignalsServiceDeps } from "../http/routes/signals/service";
import { runBacktest } from "./backtest";
import { checkWebhookUrl, createOutbox, type WebhookPolicy } from "./delivery";

export interface SignalsApiOptions {
  store: Pick<Store, "signals" | "marketData" | "accounts">;
  live: LiveMarketView;
  venue: string;
  clock: Clock;
  policy: WebhookPolicy;
  /** This node's delivery worker while it runs one (rows written elsewhere wait for the leader's poll). */
  worker?: () => { kick(): void } | undefined;
  /** This node's signals runtime while it runs one: reload a changed signal at once. */
  changed?: (signalId: string) => void;
}

/** Builds the routes' collaborators. */
export function signalsApi(o: SignalsApiOptions): SignalsServiceDeps {
  const store = o.store.signals;
  const outbox = createOutbox({ store, clock: o.clock, worker: { kick: () => o.worker?.()?.kick() } });
  return {
    store,
    live: o.live,
    venue: o.venue,
    clock: o.clock,
    ruleProblems: (rule, prefix) => ruleProblems(rule, prefix),
    async checkUrl(url) {
      const r = checkWebhookUrl(url, o.policy);
      return r.ok ? null : r.reason;
    },
    // Test events and paced dry-run events take one path: the outbox writes the rows (due at `dueAt`) and wakes the worker.
    sendTest: (signal, opts = {}) => outbox.sendTest(signal, { firedAt: opts.firing?.ts, values: opts.firing?.values, dueAt: opts.dueAt }),
    backtest: (q) =>
      runBacktest({
        marketData: o.store.marketData, accounts: o.store.accounts, venue: o.venue, marketId: q.market.marketId, market: q.market,
        rule: q.rule, cooldownSecs: q.cooldownSecs, start: q.start, end: q.end, maxFirings: q.maxFirings,
      }),
    changed: o.changed,
  };
}
