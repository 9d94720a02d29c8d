/**
 * The operator's surface, for self-hosting without billing: list users, set a user's plan, create
 * a key for a user at a tier (e.g. an Enterprise key for load tests). Shared by the /admin routes
 * and the `bun run admin` CLI, which runs it straight against the configured store.
 *
 * Every action is logged as one `admin.action` line naming the actor, the action and the ids it
 * touched — never a key, a hash or a password.
 */
import { higherTier, type TierId } from "../domain/tiers";
import type { Clock } from "../lib/clock";
import { notFound } from "../lib/errors";
import type { Logger } from "../lib/log";
import type { ApiKeyRecord, IdentityStore, Paged, UserRecord } from "../store/ports";
import type { InvalidationBus } from "./invalidation";
import { KeysService } from "./keys.service";
import type { UsageRecorder } from "./usage-recorder";

/** Who performed an admin action, for the log line: "cli", or "http" with the request id and address. */
export type AdminActor = { via: "cli" } | { via: "http"; requestId: string; ip: string | null };

/** What the admin service needs. */
export interface AdminDeps {
  store: IdentityStore;
  clock: Clock;
  log: Logger;
  bus: InvalidationBus;
  /** Only flushed by usage reads; the CLI may pass a recorder that is never used. */
  usage: UsageRecorder;
}

/** User and plan administration. */
export class AdminService {
  private readonly keys: KeysService;

  constructor(private readonly deps: AdminDeps) {
    this.keys = new KeysService(deps);
  }

  /** Users oldest first, optionally only the one with `email`. */
  async listUsers(q: { limit: number; offset: number; email?: string }, actor: AdminActor): Promise<Paged<UserRecord>> {
    const page = await this.deps.store.listUsers(q);
    this.audit(actor, "users.list", { returned: page.rows.length, total: page.total });
    return page;
  }

  /** Sets a user's plan; every node drops the user's cached keys (credits follow the new plan at once). */
  async setPlan(userRef: string, plan: TierId, actor: AdminActor): Promise<{ user: UserRecord; previous: TierId }> {
    const user = await this.find(userRef);
    await this.deps.store.setUserPlan(user.id, plan);
    await this.deps.bus.publish({ userId: user.id });
    this.audit(actor, "users.set_plan", { user_id: user.id, from: user.plan, to: plan });
    return { user: { ...user, plan }, previous: user.plan };
  }

  /**
   * Creates a key for a user at `tier`. A key never outranks its account (credits are counted per
   * account), so an account below `tier` is raised to it first — and that is logged too.
   */
  async createKey(userRef: string, input: { tier: TierId; name?: string }, actor: AdminActor): Promise<{ user: UserRecord; record: ApiKeyRecord; key: string; planRaised: boolean }> {
    let user = await this.find(userRef);
    const plan = higherTier(user.plan, input.tier);
    const planRaised = plan !== user.plan;
    if (planRaised) user = (await this.setPlan(user.id, plan, actor)).user;
    const { record, key } = await this.keys.create(user, { tier: input.tier, name: input.name ?? `admin-${input.tier}` });
    this.audit(actor, "keys.create", { user_id: user.id, key_id: record.id, prefix: record.prefix, tier: record.tier });
    return { user, record, key, planRaised };
  }

  /** A user by id ("usr_…") or e-mail. */
  private async find(ref: string): Promise<UserRecord> {
    const user = ref.includes("@") ? await this.deps.store.userByEmail(ref.trim().toLowerCase()) : await this.deps.store.userById(ref);
    if (!user) throw notFound(`no user '${ref}'`);
    return user;
  }

  private audit(actor: AdminActor, action: string, fields: Record<string, unknown>): void {
    const who = actor.via === "cli" ? { actor: "cli" } : { actor: "http", request_id: actor.requestId, ip: actor.ip };
    this.deps.log.info("admin.action", { action, ...who, ...fields, at: this.deps.clock.now() });
  }
}
