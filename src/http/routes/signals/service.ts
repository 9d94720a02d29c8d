/**
 * The signals group's logic, framework-free: owner-scoped CRUD with every check the schema cannot
 * express (known market, rule semantics, webhook URL policy, the plan's signal limit), delivery
 * history, test events and backtests. Collaborators arrive as narrow ports so the routes never
 * reach into the engine, the outbox or the SSRF guard directly.
 */
import { tier, type TierId } from "../../../domain/tiers";
import type { SignalFiring, SignalRule } from "../../../domain/signals/rule";
import type { Clock } from "../../../lib/clock";
import { AppError, badRequest, notFound } from "../../../lib/errors";
import type { LiveMarketView, MarketInfo } from "../../../market/live";
import type { Page, Paged } from "../../../store/ports";
import { type DeliveryAttemptRecord, type DeliveryRecord, type SignalPatch, type SignalRecord, SignalLimitError, type SignalsStore } from "../../../store/signals.port";
import { SIGNAL_LIMITS } from "./model";

/** The owner of a request and the plan its limits come from. */
export interface Owner {
  userId: string;
  plan: TierId;
}

/** A rule as posted (logic optional) with its channels. */
export interface RuleInput {
  conditions: Array<{ field: string; op: string; value: number | string }>;
  logic?: string;
}
export interface ChannelInput {
  type: "webhook";
  url: string;
  secret: string;
}

/** What one backtest returns (src/signals/backtest.ts). */
export interface BacktestOutcome {
  count: number;
  firings: SignalFiring[];
  truncated: boolean;
  /** Stored rows read, per kind of history (only the kinds the rule reads). */
  scanned: { trades: number; books: number; funding: number; heatmaps: number };
}

export interface SignalsServiceDeps {
  store: SignalsStore;
  live: LiveMarketView;
  venue: string;
  clock: Clock;
  /** Semantic problems of a rule, each with its full path under `prefix` ("rule_definition.conditions[0].value"). */
  ruleProblems(rule: SignalRule, prefix: string): Array<{ path: string; message: string }>;
  /** The SSRF policy at creation: a reason the URL is refused, or null. */
  checkUrl(url: string): Promise<string | null>;
  /** Queues a test event to every active channel of `signal` (optionally carrying a firing), due at `dueAt` (default now). */
  sendTest(signal: SignalRecord, opts?: { firing?: SignalFiring; dueAt?: number }): Promise<DeliveryRecord[]>;
  /** Runs `rule` over stored history of one market. */
  backtest(q: { market: MarketInfo; rule: SignalRule; cooldownSecs: number; start: number; end: number; maxFirings: number }): Promise<BacktestOutcome>;
  /** Tells this node's signal runtime (if it runs one) that a signal changed. */
  changed?(signalId: string): void;
}

const normaliseRule = (r: RuleInput): SignalRule => ({
  conditions: r.conditions.map((c) => ({ field: c.field, op: c.op, value: c.value })) as SignalRule["conditions"],
  logic: (r.logic ?? "AND") as SignalRule["logic"],
});

export class SignalsService {
  constructor(private readonly deps: SignalsServiceDeps) {}

  private async market(marketId: number, field: string): Promise<MarketInfo> {
    const m = await this.deps.live.market(this.deps.venue, marketId);
    if (!m) throw new AppError("not_found", `market ${marketId} not found on ${this.deps.venue}`, { details: { in: "body", field } });
    return m;
  }

  private rule(input: RuleInput, prefix: string): SignalRule {
    const rule = normaliseRule(input);
    // Paths in the validator's spelling (rule_definition.conditions.1.value), as every other 400 names fields.
    const problems = this.deps.ruleProblems(rule, prefix).map((p) => ({ field: p.path.replace(/\[(\d+)\]/g, ".$1"), message: p.message }));
    const first = problems[0];
    if (first) throw badRequest(`body field '${first.field}' ${first.message}`, { in: "body", field: first.field, problems });
    return rule;
  }

  private async channels(list: ChannelInput[]): Promise<ChannelInput[]> {
    for (const [i, c] of list.entries()) {
      const problem = await this.deps.checkUrl(c.url);
      if (problem) throw badRequest(`body field 'delivery_channels.${i}.url' is refused: ${problem}`, { in: "body", field: `delivery_channels.${i}.url` });
    }
    return list.map((c) => ({ type: c.type, url: c.url, secret: c.secret }));
  }

  /** A signal of `owner`, or 404 (another user's signal is indistinguishable from a missing one). */
  async get(owner: Owner, id: string): Promise<SignalRecord> {
    const s = await this.deps.store.get(owner.userId, id);
    if (!s) throw notFound(`signal ${id} not found`);
    return s;
  }

  list(owner: Owner, page: Page): Promise<Paged<SignalRecord>> {
    return this.deps.store.list(owner.userId, page);
  }

  async create(owner: Owner, body: { name: string; market_id: number; rule_definition: RuleInput; delivery_channels: ChannelInput[]; cooldown_secs?: number; enabled?: boolean }): Promise<SignalRecord> {
    const rule = this.rule(body.rule_definition, "rule_definition");
    await this.market(body.market_id, "market_id");
    const channels = await this.channels(body.delivery_channels);
    const limit = tier(owner.plan).signalsPerAccount;
    // The store counts and inserts in one step, so two creates racing at the limit cannot both pass.
    const created = await this.deps.store.create(
      {
        userId: owner.userId, name: body.name, venue: this.deps.venue, marketId: body.market_id, rule, channels,
        cooldownSecs: body.cooldown_secs ?? SIGNAL_LIMITS.cooldownDefault, enabled: body.enabled ?? true,
      },
      this.deps.clock.now(),
      { maxPerUser: limit },
    ).catch((err: unknown) => {
      if (!(err instanceof SignalLimitError)) throw err;
      throw new AppError("forbidden", `signal limit reached: the ${tier(owner.plan).name} plan allows ${limit} signals per account; delete one or upgrade`, {
        details: { reason: "signal_limit", limit, plan: owner.plan },
      });
    });
    this.deps.changed?.(created.id);
    return created;
  }

  /** Revalidates whatever the patch changes; absent fields stay. */
  async update(owner: Owner, id: string, body: { name?: string; market_id?: number; rule_definition?: RuleInput; delivery_channels?: ChannelInput[]; cooldown_secs?: number; enabled?: boolean }): Promise<SignalRecord> {
    await this.get(owner, id);
    const patch: SignalPatch = {};
    if (body.rule_definition !== undefined) patch.rule = this.rule(body.rule_definition, "rule_definition");
    if (body.market_id !== undefined) patch.marketId = (await this.market(body.market_id, "market_id")).marketId;
    if (body.delivery_channels !== undefined) patch.channels = await this.channels(body.delivery_channels);
    if (body.name !== undefined) patch.name = body.name;
    if (body.cooldown_secs !== undefined) patch.cooldownSecs = body.cooldown_secs;
    if (body.enabled !== undefined) patch.enabled = body.enabled;
    const updated = await this.deps.store.update(owner.userId, id, patch, this.deps.clock.now());
    if (!updated) throw notFound(`signal ${id} not found`);
    this.deps.changed?.(id);
    return updated;
  }

  async remove(owner: Owner, id: string): Promise<void> {
    if (!(await this.deps.store.delete(owner.userId, id, this.deps.clock.now()))) throw notFound(`signal ${id} not found`);
    this.deps.changed?.(id);
  }

  /** A page of deliveries, each with its latest attempts (newest first, at most `attemptsEach`). */
  async deliveries(owner: Owner, id: string, page: Page, attemptsEach: number): Promise<Paged<DeliveryRecord & { history: DeliveryAttemptRecord[] }>> {
    await this.get(owner, id);
    const { rows, total } = await this.deps.store.listDeliveries(owner.userId, id, page);
    const histories = await Promise.all(rows.map((d) => (d.attempts > 0 ? this.deps.store.listAttempts(owner.userId, d.id, attemptsEach) : [])));
    return { rows: rows.map((d, i) => ({ ...d, history: histories[i]! })), total };
  }

  async test(owner: Owner, id: string): Promise<DeliveryRecord[]> {
    const signal = await this.get(owner, id);
    if (!signal.channels.some((c) => c.disabledAt === null)) throw new AppError("conflict", "every delivery channel of this signal is disabled (a receiver answered 410 Gone); PATCH new delivery_channels");
    return this.deps.sendTest(signal);
  }

  /** Backtest of a stored signal; with `dryRun`, the first firings are queued as test events `paceMs` apart. */
  async backtestSaved(owner: Owner, id: string, range: { start: number; end: number }, dryRun?: { paceMs: number }) {
    const signal = await this.get(owner, id);
    const market = await this.market(signal.marketId, "market_id");
    const result = await this.deps.backtest({ market, rule: signal.rule, cooldownSecs: signal.cooldownSecs, ...range, maxFirings: SIGNAL_LIMITS.backtestMaxFirings });
    if (!dryRun) return { result, marketId: signal.marketId };
    const ids: string[] = [];
    const first = this.deps.clock.now();
    for (const [i, firing] of result.firings.slice(0, SIGNAL_LIMITS.dryRunMaxDeliveries).entries()) {
      const rows = await this.deps.sendTest(signal, { firing, dueAt: first + i * dryRun.paceMs });
      ids.push(...rows.map((r) => r.id));
    }
    return { result, marketId: signal.marketId, dryRun: { delivery_ids: ids, pace_ms: dryRun.paceMs } };
  }

  /** Backtest of an unsaved rule. */
  async backtestRule(body: { market_id: number; rule_definition: RuleInput; cooldown_secs?: number }, range: { start: number; end: number }) {
    const rule = this.rule(body.rule_definition, "rule_definition");
    const market = await this.market(body.market_id, "market_id");
    const cooldownSecs = body.cooldown_secs ?? SIGNAL_LIMITS.cooldownDefault;
    return { result: await this.deps.backtest({ market, rule, cooldownSecs, ...range, maxFirings: SIGNAL_LIMITS.backtestMaxFirings }), marketId: body.market_id };
  }
}
