/**
 * The batch routes, framework-free. Current state (positions, margin, open orders) comes from the
 * trackers' memory; fills and liquidations from the store, in one query for all accounts of the
 * request (never one per account).
 */
import type { Static } from "elysia";
import { DAY_MS, MAX_TIME_MS, MIN_TIME_MS, parseTimeParam } from "../../../domain/time";
import { badRequest } from "../../../lib/errors";
import type { MetaExtra } from "../../envelope";
import type { MarketInfo } from "../../../market/live";
import type { AccountFillRecord, LiquidationRecord } from "../../../store/ports";
import { formatFill, formatLiquidationEvent, formatOrder, formatPosition, formatSummary } from "./format";
import type { AccountView } from "../../../actors/accounts/account-view";
import type { TrackedAccount } from "../../../actors/accounts/account-book";
import { writePositions, writeSummaryOpen } from "./format-json";
import type { JsonBytes } from "../../../lib/json-bytes";
import type { AccountsReadModel } from "../../../actors/accounts/read-model";
import { BATCH_LIMITS, type BatchBody, type BatchFillsBody, type BatchLiquidationsBody, type BatchPositionsBody } from "./requests";
import { type AccountsDeps, catalog, requireTracker, resolveItems, type Resolved } from "./resolve";

type Result<T> = { data: T; meta: MetaExtra };
const MAX_RANGE_MS = 31 * DAY_MS;

/** Groups rows (ordered by account) by account id. */
function byAccount<T extends { accountId: number }>(rows: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const list = out.get(r.accountId);
    if (list) list.push(r);
    else out.set(r.accountId, [r]);
  }
  return out;
}

/** A body time (ms or text) → ms; 400 naming the field. */
function bodyTime(name: string, value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseTimeParam(String(value));
  if (ms === null) throw badRequest(`'${name}' must be a time (ms epoch or ISO-8601); got ${JSON.stringify(value)}`, { in: "body", field: name });
  return ms;
}

/** [start, end) from a body, with a default length and the 31-day cap. */
function bodyRange(b: { start?: number | string; end?: number | string }, now: number, defaultMs: number): { start: number; end: number } {
  const end = bodyTime("end", b.end) ?? now;
  const start = bodyTime("start", b.start) ?? end - defaultMs;
  if (start >= end) throw badRequest(`'start' (${start}) must be before 'end' (${end})`, { in: "body", field: "start" });
  if (end - start > MAX_RANGE_MS) throw badRequest("time range too long: at most 31 days between 'start' and 'end'", { in: "body", field: "start", max_range_ms: MAX_RANGE_MS });
  return { start, end };
}

const meta = (r: Resolved): MetaExtra => ({ requested: r.requested, found: r.views.length });

const utf8 = new TextEncoder();
/** Orders do not depend on marks: their bytes are kept per account version. */
const ordersBytes = new WeakMap<TrackedAccount, { version: number; bytes: Uint8Array }>();

/** `,"open_orders":[…],"open_orders_total":n` of an account (orders of unknown markets left out). */
function ordersJson(a: TrackedAccount, model: AccountsReadModel): Uint8Array {
  const hit = ordersBytes.get(a);
  if (hit?.version === a.version) return hit.bytes;
  const list = a.orders === null ? null : a.orders.flatMap((o) => { const m = model.market(o.marketId); return m ? [formatOrder(o, m)] : []; });
  const bytes = utf8.encode(`,"open_orders":${JSON.stringify(list)},"open_orders_total":${a.ordersTotal}`);
  ordersBytes.set(a, { version: a.version, bytes });
  return bytes;
}

/** Reads behind POST /api/v1/accounts/batch and /batch/{positions,fills,liquidations}. */
export class AccountsBatchService {
  constructor(private readonly deps: AccountsDeps) {}

  /**
   * Positions, open orders and recent fills of many accounts, written as the JSON of `data` (see
   * BatchAccount) into `w`: parts that depend only on the account are encoded once per account
   * version and copied; figures that move with the marks are written as digits from the view's
   * integers (format-json.ts), so a batch of thousands right after the marks move costs about
   * one pass over the bytes.
   */
  async batch(b: Static<typeof BatchBody>, w: JsonBytes): Promise<{ meta: MetaExtra }> {
    const model = requireTracker(this.deps);
    const r = resolveItems(model, b.accounts, b.by);
    const include = new Set(b.include ?? ["positions", "orders", "fills"]);
    let fills = new Map<number, AccountFillRecord[]>();
    let markets = new Map<number, MarketInfo>();
    if (include.has("fills") && r.views.length > 0) {
      const [rows, catalogued] = await Promise.all([
        this.deps.store.recentFills({
          venue: this.deps.venue, accountIds: r.views.map((v) => v.account.id), start: MIN_TIME_MS, end: MAX_TIME_MS,
          perAccount: b.fills_limit ?? BATCH_LIMITS.fills.default,
        }),
        catalog(this.deps),
      ]);
      fills = byAccount(rows);
      markets = catalogued;
    }
    const positions = include.has("positions");
    const orders = include.has("orders");
    w.text(`{"accounts":[`);
    for (let i = 0; i < r.views.length; i++) {
      const v = r.views[i] as AccountView;
      if (i > 0) w.text(",");
      writeSummaryOpen(w, v);
      if (positions) {
        w.text(`,"positions":`);
        writePositions(w, v);
      }
      if (orders) w.raw(ordersJson(v.account, model));
      if (include.has("fills")) {
        const list = (fills.get(v.account.id) ?? []).flatMap((f) => { const m = markets.get(f.marketId); return m ? [formatFill(f, m)] : []; });
        w.raw(utf8.encode(`,"recent_fills":${JSON.stringify(list)}`));
      }
      w.text("}");
    }
    w.raw(utf8.encode(`],"errors":${JSON.stringify(r.errors)}}`));
    return { meta: meta(r) };
  }

  /** Positions only (optionally of one market). */
  async positions(b: Static<typeof BatchPositionsBody>) {
    const r = resolveItems(requireTracker(this.deps), b.accounts, b.by);
    const accounts = r.views.map((v) => ({
      account_index: v.account.id,
      positions: v.positions.filter((p) => b.market_id === undefined || p.marketId === b.market_id).map(formatPosition),
    }));
    return { data: { accounts, errors: r.errors }, meta: meta(r) };
  }

  /** The newest fills of each account in a time range (one store query). */
  async fills(b: Static<typeof BatchFillsBody>, now: number) {
    const range = bodyRange(b, now, DAY_MS);
    const r = resolveItems(requireTracker(this.deps), b.accounts, b.by);
    const markets = await catalog(this.deps);
    const perAccount = b.limit_per_account ?? BATCH_LIMITS.fillsPerAccount.default;
    const rows = r.views.length === 0 ? [] : await this.deps.store.recentFills({ venue: this.deps.venue, accountIds: r.views.map((v) => v.account.id), ...range, perAccount });
    const grouped = byAccount(rows);
    const accounts = r.views.map((v) => ({
      account_index: v.account.id,
      fills: (grouped.get(v.account.id) ?? []).flatMap((f) => { const m = markets.get(f.marketId); return m ? [formatFill(f, m)] : []; }),
    }));
    return { data: { accounts, errors: r.errors }, meta: { ...meta(r), start: range.start, end: range.end, limit_per_account: perAccount } };
  }

  /** Liquidations of each account in a time range, with its current margin state. */
  async liquidations(b: Static<typeof BatchLiquidationsBody>, now: number) {
    const range = bodyRange(b, now, 7 * DAY_MS);
    const r = resolveItems(requireTracker(this.deps), b.accounts, b.by);
    const markets = await catalog(this.deps);
    const perAccount = b.limit_per_account ?? BATCH_LIMITS.liquidationsPerAccount.default;
    const rows: LiquidationRecord[] = r.views.length === 0 ? [] : await this.deps.store.recentLiquidations({ venue: this.deps.venue, accountIds: r.views.map((v) => v.account.id), ...range, perAccount });
    const grouped = byAccount(rows);
    const accounts = r.views.map((v) => {
      const s = formatSummary(v);
      return {
        account_index: v.account.id, health: s.health, margin_ratio: s.margin_ratio,
        liquidations: (grouped.get(v.account.id) ?? []).flatMap((l) => { const m = markets.get(l.marketId); return m ? [formatLiquidationEvent(l, m)] : []; }),
      };
    });
    return { data: { accounts, errors: r.errors }, meta: { ...meta(r), start: range.start, end: range.end } };
  }
}


