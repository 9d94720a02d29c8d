/**
 * AccountTracker: one actor per shard of venue accounts (account id mod shard count). Accounts
 * span markets (cross margin), so they live here and not in the MarketActors. `restoring → running`.
 *
 * - restoring: the accounts an earlier run persisted are loaded (invoked `restore`); the feed is
 *   already applied meanwhile (what the feed says is newer than what was persisted).
 * - running: every SWEEP the shard asks the refresher for a bounded number of background REST
 *   refreshes and recomputes which accounts it follows on the venue's account channel.
 *
 * Always: fills from the trade feed discover accounts and move positions (account-book.ts), marks
 * and funding settlements update them, REST snapshots and the account channel resync them. REST
 * work is the invoked `refresher` (a shared, rate-limited scheduler supplied with `.provide()`),
 * which answers with `rest.*` events. The machine is pure: the book is a mutable aggregate in the
 * context that only these actions touch; effects leave as emitted events or as requests to the
 * refresher. Time comes from the events' own timestamps.
 */
import { assign, emit, enqueueActions, fromCallback, fromPromise, setup, type EventObject } from "xstate";
import { AccountBook } from "./account-book";
import type { AccountFillRecord } from "../../store/ports";
import type { PersistedAccount, RefreshPriority, TrackerEmitted, TrackerFeedItem, TrackerInput } from "./account.events";
import { backgroundCandidates, desiredStream } from "./tracker.policy";

/** What the machine asks of its refresher. */
export interface RefreshRequest extends EventObject {
  type: "refresh";
  ids: number[];
  priority: RefreshPriority;
}

export interface TrackerMachineInput {
  venue: string;
  shard: number;
  /** Most accounts this shard tracks (discovery stops there). */
  maxAccounts: number;
  /** Accounts always tracked and followed on the account channel. */
  configured: readonly number[];
  /** Account-channel subscriptions this shard may hold. */
  streamBudget: number;
  /** Background refreshes per sweep, and the age past which a snapshot is refreshed. */
  refreshBatch: number;
  refreshMaxAgeMs: number;
}

export interface TrackerContext {
  shard: number;
  book: AccountBook;
  configured: Set<number>;
  streamBudget: number;
  streamed: Set<number>;
  refreshBatch: number;
  refreshMaxAgeMs: number;
  /** Requests sent to the refresher and not yet answered: id → when. */
  inflight: Map<number, number>;
  /** Latest event time seen (ms). */
  now: number;
}

/** What applying feed events asks for afterwards: fills to record, accounts to refresh by priority. */
interface FeedEffects {
  rows: AccountFillRecord[];
  refresh: [Set<number>, Set<number>, Set<number>];
}

/** The refresher request for `ids` (marked in flight), or null when all are already asked for. */
function refreshRequest(context: TrackerContext, ids: number[], priority: RefreshPriority): RefreshRequest | null {
  const wanted = ids.filter((id) => priority === 0 || !context.inflight.has(id));
  if (wanted.length === 0) return null;
  for (const id of wanted) context.inflight.set(id, context.now);
  return { type: "refresh", ids: wanted, priority };
}

/** Applies one feed event to the shard's book, collecting its effects. */
function applyFeedItem(context: TrackerContext, item: TrackerFeedItem, fx: FeedEffects): void {
  const book = context.book;
  switch (item.type) {
    case "feed.mark":
      context.now = Math.max(context.now, item.ts);
      book.setMark(item.marketId, item.mark, item.index, item.ts);
      return;
    case "feed.fills": {
      const r = book.applyFills(item.fills, true);
      for (const f of item.fills) context.now = Math.max(context.now, f.receivedAt);
      for (const row of r.rows) fx.rows.push(row);
      for (const id of r.drifted) fx.refresh[0].add(id);
      for (const id of r.liquidated) fx.refresh[0].add(id);
      for (const id of r.created) fx.refresh[1].add(id);
      return;
    }
    case "feed.account":
      book.applyStream(item.accountId, item.positions, item.fundings, item.ts);
      return;
    case "feed.funding":
      for (const id of book.applyFundingEstimate(item.marketId, item.ts, item.rate4, item.index)) fx.refresh[2].add(id);
      return;
    default: {
      const unhandled: never = item;
      throw new Error(`tracker: unhandled feed event ${JSON.stringify(unhandled)}`);
    }
  }
}

const FEED_ITEM_TYPES: ReadonlySet<string> = new Set(["feed.mark", "feed.fills", "feed.account", "feed.funding"] satisfies TrackerFeedItem["type"][]);
const isFeedItem = (e: TrackerInput): e is TrackerFeedItem => FEED_ITEM_TYPES.has(e.type);

/** A request unanswered this long is forgotten (the refresher may have dropped it). */
const INFLIGHT_TIMEOUT_MS = 120_000;

export const trackerMachine = setup({
  types: {
    context: {} as TrackerContext,
    events: {} as TrackerInput,
    input: {} as TrackerMachineInput,
    emitted: {} as TrackerEmitted,
  },
  actors: {
    /** Loads this shard's persisted accounts. Default: none. */
    restore: fromPromise<PersistedAccount[], { shard: number }>(async () => []),
    /** Forwards `refresh` requests to the REST scheduler and sends its `rest.*` answers back. Default: none. */
    refresher: fromCallback<RefreshRequest, { shard: number }>(() => () => {}),
  },
  delays: {
    SWEEP: 5_000,
  },
  actions: {
    /**
     * Feed events (one, or a shard's batch of a loop turn, in order): the book moves, then the
     * fills of tracked accounts leave as one `fills.observed` and the accounts to refresh as one
     * request per priority, whatever the batch size.
     */
    applyFeed: enqueueActions(({ context, event, enqueue }) => {
      const fx: FeedEffects = { rows: [], refresh: [new Set(), new Set(), new Set()] };
      if (event.type === "feed.batch") for (const item of event.items) applyFeedItem(context, item, fx);
      else if (isFeedItem(event)) applyFeedItem(context, event, fx);
      if (fx.rows.length > 0) enqueue(emit({ type: "fills.observed", rows: fx.rows }));
      for (const priority of [0, 1, 2] as const) {
        const ids = fx.refresh[priority];
        const request = ids.size > 0 ? refreshRequest(context, [...ids], priority) : null;
        if (request) enqueue.sendTo("refresher", request);
      }
    }),
    requestRefresh: enqueueActions(({ context, enqueue }, params: { ids: number[]; priority: RefreshPriority }) => {
      const request = refreshRequest(context, params.ids, params.priority);
      if (request) enqueue.sendTo("refresher", request);
    }),
  },
}).createMachine({
  id: "accountTracker",
  context: ({ input }) => ({
    shard: input.shard,
    book: new AccountBook(input.venue, input.maxAccounts),
    configured: new Set(input.configured),
    streamBudget: input.streamBudget,
    streamed: new Set(),
    refreshBatch: input.refreshBatch,
    refreshMaxAgeMs: input.refreshMaxAgeMs,
    inflight: new Map(),
    now: 0,
  }),
  invoke: { id: "refresher", src: "refresher", input: ({ context }) => ({ shard: context.shard }) },
  initial: "restoring",
  on: {
    "markets.loaded": { actions: ({ context, event }) => context.book.setMarkets(event.markets) },
    "feed.mark": { actions: "applyFeed" },
    "feed.fills": { actions: "applyFeed" },
    "feed.account": { actions: "applyFeed" },
    "feed.funding": { actions: "applyFeed" },
    "feed.batch": { actions: "applyFeed" },
    "account.track": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        context.now = Math.max(context.now, event.ts);
        const fresh: number[] = [];
        for (const id of event.ids) {
          const t = context.book.track(id, event.ts);
          if (t && (t.created || t.account.collateral === null)) fresh.push(id);
        }
        if (event.reason === "configured") for (const id of event.ids) context.configured.add(id);
        if (fresh.length > 0) enqueue({ type: "requestRefresh", params: { ids: fresh, priority: event.reason === "discovered" ? 1 : 0 } });
      }),
    },
    "rest.account": {
      actions: ({ context, event }) => {
        context.now = Math.max(context.now, event.ts);
        context.inflight.delete(event.snapshot.accountId);
        context.book.applySnapshot(event.snapshot, event.requestedAt, event.ts);
      },
    },
    "rest.orders": { actions: ({ context, event }) => context.book.setOrders(event.accountId, event.orders, event.total, event.ts) },
    "rest.notFound": {
      actions: ({ context, event }) => {
        context.inflight.delete(event.accountId);
        context.book.markMissing(event.accountId, event.ts);
      },
    },
    "rest.failed": { actions: ({ context, event }) => void context.inflight.delete(event.accountId) },
  },
  states: {
    restoring: {
      invoke: {
        src: "restore",
        input: ({ context }) => ({ shard: context.shard }),
        onDone: { target: "running", actions: ({ context, event }) => context.book.restore(event.output) },
        onError: { target: "running" },
      },
    },
    running: {
      initial: "waiting",
      states: {
        waiting: {
          after: {
            SWEEP: {
              target: "waiting",
              reenter: true,
              actions: enqueueActions(({ context, enqueue }) => {
                for (const [id, at] of context.inflight) if (context.now - at > INFLIGHT_TIMEOUT_MS) context.inflight.delete(id);
                const ids = backgroundCandidates(context.book, context.now, context.refreshMaxAgeMs, context.refreshBatch, context.inflight);
                if (ids.length > 0) enqueue({ type: "requestRefresh", params: { ids, priority: 2 } });
                const want = desiredStream(context.book, context.configured, context.streamBudget);
                const add = [...want].filter((id) => !context.streamed.has(id));
                const remove = [...context.streamed].filter((id) => !want.has(id));
                if (add.length + remove.length === 0) return;
                enqueue(assign({ streamed: want }));
                enqueue(emit({ type: "stream.changed", add, remove }));
              }),
            },
          },
        },
      },
    },
  },
});

export type TrackerMachine = typeof trackerMachine;
