/**
 * Account tracking on the ingest node: the AccountTracker shards (supervised actors), the shared
 * REST refresher, the routing of venue events to shards, and the read model REST routes use.
 *
 *   Lighter client ──trades──► fills per account ──► shard (id mod N) ──fills.observed──► recorder
 *                  ──stats / funding──► every shard         └──stream.changed──► client account_all
 *                  ──account_all──► owning shard           ▲
 *   refresher (rate-limited REST) ──rest.*────────────────┘
 */
import { fromCallback, fromPromise, type Actor } from "xstate";
import type { ActorSystem, SupervisedActor } from "../actors/system";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { Recorder } from "../recorder";
import type { AccountsStore } from "../store/ports";
import type { LighterEvent } from "../venues/lighter/events";
import { scaledInt } from "../lib/decimal";
import { rate4FromPercent } from "../domain/positions";
import { trackerMachine, type RefreshRequest, type TrackerMachine } from "../actors/accounts/tracker.machine";
import type { AccountBook } from "../actors/accounts/account-book";
import { createBooksModel } from "../actors/accounts/books-model";
import type { FillInput, MarketRisk, PersistedAccount, TrackerFeedItem, TrackerInput } from "../actors/accounts/account.events";
import type { AccountsReadModel, AccountsStats } from "../actors/accounts/read-model";
import { AccountRefresher, type AccountRest } from "./account-refresher";
import { fillsOfTrades, fromAccountFrame, toMarketRisk } from "./account-router";
import { fromTrackedRecord } from "./account-state";

export interface AccountTrackingOptions {
  venue: string;
  system: ActorSystem;
  clock: Clock;
  log: Logger;
  recorder: Pick<Recorder, "recordFills">;
  store: Pick<AccountsStore, "listTrackedAccounts">;
  rest: AccountRest;
  /** The venue client's account-channel subscriptions. */
  stream: { trackAccount(id: number): void; untrackAccount(id: number): void };
  shards: number;
  /** Most tracked accounts in total. */
  maxAccounts: number;
  /** Account-channel subscriptions in total. */
  streamMax: number;
  configured: readonly number[];
  refreshPerMinute: number;
  refreshMaxAgeMs: number;
  maxOrders: number;
}

/** The read model plus what the pipeline drives. */
export interface AccountTracking extends AccountsReadModel {
  /** Feeds venue client events, in order; each shard gets its share of them in one send. */
  onEvents(events: Iterable<LighterEvent>): void;
  /** Every shard's book (samplers, persistence). */
  books(): AccountBook[];
  stop(): void;
}

export function createAccountTracking(o: AccountTrackingOptions): AccountTracking {
  const shards = Math.max(1, o.shards);
  const shardOf = (id: number) => id % shards;
  const markets = new Map<number, MarketRisk>();
  const marks = new Map<number, number>();
  const refresher = new AccountRefresher({
    rest: o.rest, clock: o.clock, log: o.log, perMinute: o.refreshPerMinute, concurrency: 4, markets: () => markets, shardOf, maxOrders: o.maxOrders,
  });
  // One read of the persisted accounts, shared by every shard's (and every restart's) restore.
  let persisted: Promise<PersistedAccount[]> | undefined;
  const loadPersisted = () =>
    (persisted ??= o.store.listTrackedAccounts(o.venue).then(
      (rows) => rows.map(fromTrackedRecord),
      (err) => {
        o.log.warn("accounts: could not load tracked accounts; starting empty", { err });
        return [];
      },
    ));

  const logic = trackerMachine.provide({
    actors: {
      restore: fromPromise<PersistedAccount[], { shard: number }>(async ({ input }) => (await loadPersisted()).filter((a) => shardOf(a.id) === input.shard)),
      refresher: fromCallback<RefreshRequest, { shard: number }>(({ sendBack, receive, input }) => {
        const detach = refresher.attach(input.shard, (e) => sendBack(e));
        receive((e) => refresher.request(e.ids, e.priority));
        return detach;
      }),
    },
  });
  const idOf = (k: number) => `accounts:${o.venue}:${k}`;
  const perShard = (n: number) => Math.max(0, Math.ceil(n / shards));
  // The supervised handles by shard: sends read `.ref` (the current incarnation) without a lookup.
  const handles: SupervisedActor<typeof logic>[] = [];
  for (let k = 0; k < shards; k++) {
    handles[k] = o.system.spawn(idOf(k), logic, {
      input: {
        venue: o.venue, shard: k, maxAccounts: perShard(o.maxAccounts), configured: o.configured.filter((id) => shardOf(id) === k),
        streamBudget: perShard(o.streamMax), refreshBatch: Math.max(1, Math.floor(o.refreshPerMinute / 2 / 12 / shards)), refreshMaxAgeMs: o.refreshMaxAgeMs,
      },
      wire: (ref) => {
        ref.on("fills.observed", (e) => o.recorder.recordFills(e.rows));
        ref.on("stream.changed", (e) => {
          for (const id of e.remove) o.stream.untrackAccount(id);
          for (const id of e.add) o.stream.trackAccount(id);
        });
        // A restarted shard starts from the persisted state: give it the markets again.
        if (markets.size > 0) queueMicrotask(() => ref.send({ type: "markets.loaded", markets: [...markets.values()] }));
      },
    });
  }
  let stopped = false;
  const actor = (k: number) => (stopped ? undefined : (handles[k]?.ref as Actor<TrackerMachine> | undefined));
  const send = (k: number, e: TrackerInput) => actor(k)?.send(e);
  const broadcast = (e: TrackerInput) => {
    for (let k = 0; k < shards; k++) send(k, e);
  };
  const bookOf = (k: number): AccountBook | undefined => {
    const snap = actor(k)?.getSnapshot();
    return snap?.status === "active" ? snap.context.book : undefined;
  };
  const books = () => Array.from({ length: shards }, (_, k) => bookOf(k)).filter((b): b is AccountBook => b !== undefined);
  if (o.configured.length > 0) {
    for (let k = 0; k < shards; k++) {
      const ids = o.configured.filter((id) => shardOf(id) === k);
      if (ids.length > 0) send(k, { type: "account.track", ids, reason: "configured", ts: o.clock.now() });
    }
  }

  // The feed events of one `onEvents` call (a deferred-lane delivery: at most one loop turn's
  // worth), per shard, in arrival order: each shard gets them as one send (one XState step instead
  // of one per venue frame; the machine applies them in order).
  const pending: TrackerFeedItem[][] = Array.from({ length: shards }, () => []);
  const queue = (k: number, item: TrackerFeedItem) => void pending[k]!.push(item);
  const queueAll = (item: TrackerFeedItem) => {
    for (let k = 0; k < shards; k++) pending[k]!.push(item);
  };
  const flush = () => {
    for (let k = 0; k < shards; k++) {
      const items = pending[k]!;
      if (items.length === 0) continue;
      pending[k] = [];
      send(k, items.length === 1 ? items[0]! : { type: "feed.batch", items });
    }
  };

  const route = (event: LighterEvent): void => {
    switch (event.type) {
      case "markets": {
        for (const m of event.markets) if (m.marketType === "perp") markets.set(m.marketId, toMarketRisk(m));
        flush();
        broadcast({ type: "markets.loaded", markets: [...markets.values()] });
        return;
      }
      case "stats": {
        const m = markets.get(event.marketId);
        const mark = event.stats.mark_price;
        if (!m || !mark || !(Number(mark) > 0)) return;
        const ticks = scaledInt(mark, m.priceDecimals);
        const index = event.stats.index_price && Number(event.stats.index_price) > 0 ? scaledInt(event.stats.index_price, m.priceDecimals) : null;
        marks.set(event.marketId, ticks);
        queueAll({ type: "feed.mark", marketId: event.marketId, mark: ticks, index, ts: event.ts });
        return;
      }
      case "funding": {
        const m = markets.get(event.marketId);
        const rate4 = rate4FromPercent(event.rate);
        if (!m || rate4 === null || !(Number(event.indexPrice) > 0)) return;
        queueAll({ type: "feed.funding", marketId: event.marketId, ts: event.fundingTimestamp, rate4, index: scaledInt(event.indexPrice, m.priceDecimals) });
        return;
      }
      case "trades": {
        const m = markets.get(event.marketId);
        if (!m) return;
        const byShard = new Map<number, FillInput[]>();
        for (const f of fillsOfTrades(event.trades, m, o.clock.now())) {
          const k = shardOf(f.accountId);
          const list = byShard.get(k);
          if (list) list.push(f);
          else byShard.set(k, [f]);
        }
        for (const [k, fills] of byShard) queue(k, { type: "feed.fills", fills });
        return;
      }
      case "account": {
        const parsed = fromAccountFrame(event.account, markets);
        queue(shardOf(event.accountId), { type: "feed.account", accountId: event.accountId, ...parsed, ts: event.ts });
        return;
      }
      default:
        return;
    }
  };
  const onEvents = (events: Iterable<LighterEvent>): void => {
    try {
      for (const e of events) route(e);
    } finally {
      flush();
    }
  };

  const model = createBooksModel({
    shards,
    book: bookOf,
    request(ids) {
      const byShard = new Map<number, number[]>();
      for (const id of ids) {
        const k = shardOf(id);
        const list = byShard.get(k);
        if (list) list.push(id);
        else byShard.set(k, [id]);
      }
      for (const [k, list] of byShard) send(k, { type: "account.track", ids: list, reason: "requested", ts: o.clock.now() });
    },
    lookupAddress: (address) => refresher.lookup(address),
    stats: () => stats(),
  });
  const stats = (): AccountsStats => {
    let accounts = 0;
    let synced = 0;
    let streamed = 0;
    for (let k = 0; k < shards; k++) {
      const ctx = actor(k)?.getSnapshot().context;
      if (!ctx) continue;
      accounts += ctx.book.size;
      streamed += ctx.streamed.size;
      for (const a of ctx.book.accounts.values()) if (a.syncedAt !== null) synced++;
    }
    const r = refresher.stats();
    return { shards, accounts, synced, streamed, refreshQueued: r.queued, refreshInFlight: r.inFlight };
  };

  return {
    ...model,
    available: true,
    onEvents,
    books,
    // The tracker knows every market, mark included, before any shard's book does.
    market: (marketId) => markets.get(marketId),
    markets: () => [...markets.values()],
    mark: (marketId) => marks.get(marketId),
    stop() {
      stopped = true;
      refresher.stop();
      for (let k = 0; k < shards; k++) o.system.stop(idOf(k));
    },
  };
}
