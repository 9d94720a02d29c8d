/**
 * Registration, login and the account overview, framework-free. Registration creates the account
 * on the Free plan with its first key (shown once) and a JWT; login answers an unknown e-mail and a
 * wrong password with the same 401 after the same argon2 work, behind the per-account/per-IP
 * slow-down of LoginThrottle.
 */
import { creditCap, creditPeriod, overage, TIERS, type TierId } from "../domain/tiers";
import type { Clock } from "../lib/clock";
import { AppError, badRequest } from "../lib/errors";
import type { JwtCodec } from "../lib/jwt";
import type { Logger } from "../lib/log";
import type { ApiKeyRecord, IdentityStore, RateLimiter, UserRecord } from "../store/ports";
import { newUserId } from "./api-key";
import type { CreditMeter } from "./credit-meter";
import type { KeysService } from "./keys.service";
import type { LoginThrottle } from "./login-throttle";
import type { PasswordHasher } from "./passwords";

/** Password length bounds, in characters. */
export const PASSWORD_LENGTH = Object.freeze({ min: 8, max: 128 });
/** Longest e-mail address (RFC 5321 path limit). */
export const EMAIL_MAX = 254;
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Trims, NFC-normalises and lower-cases an e-mail, then checks its shape; 400 naming the field when
 * it is not an address. Lower-casing the local part too is deliberate: two accounts differing only
 * in case would be a support nightmare, and practically no mail host treats them apart.
 */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().normalize("NFC").toLowerCase();
  if (email.length > EMAIL_MAX || !EMAIL.test(email)) {
    throw badRequest("body field 'email' must be an e-mail address", { in: "body", field: "email" });
  }
  return email;
}

function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_LENGTH.min || length > PASSWORD_LENGTH.max) {
    throw badRequest(`body field 'password' must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`, { in: "body", field: "password" });
  }
}

/** What the account service needs. */
export interface AccountsDeps {
  store: IdentityStore;
  clock: Clock;
  log: Logger;
  jwt: JwtCodec;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  limiter: RateLimiter;
  meter: CreditMeter;
  keys: KeysService;
  /** Accounts one IP may create per hour. */
  registrationsPerIpPerHour: number;
}

/** A signed-in session. */
export interface Session {
  user: UserRecord;
  token: string;
  expiresAt: number;
}

/** Credits of an account in the current month. */
export interface CreditsView {
  month: string;
  included: number | null;
  used: number;
  remaining: number | null;
  overage: number;
  hardCap: boolean;
  resetsAt: number;
}

/** Register, login and the account overview. */
export class AccountsService {
  constructor(private readonly deps: AccountsDeps) {}

  /** Creates an account (Free plan) with its first key. 409 when the e-mail is taken. */
  async register(input: { email: string; password: string; tosAccepted: boolean }, ip: string | null): Promise<Session & { key: ApiKeyRecord; apiKey: string }> {
    if (input.tosAccepted !== true) throw badRequest("body field 'tos_accepted' must be true: accept the terms of service to register", { in: "body", field: "tos_accepted" });
    const email = normalizeEmail(input.email);
    checkPassword(input.password);
    const gate = await this.deps.limiter.consume(`register:${ip ?? "unknown"}`, this.deps.registrationsPerIpPerHour, 3_600_000);
    if (!gate.allowed) {
      const seconds = Math.ceil(gate.retryAfterMs / 1000);
      throw new AppError("rate_limit_exceeded", `too many registrations from this address; retry in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
    }
    const taken = () => new AppError("conflict", "an account with this e-mail already exists");
    if (await this.deps.store.userByEmail(email)) throw taken();
    const user: UserRecord = { id: newUserId(), email, passwordHash: await this.deps.passwords.hash(input.password), plan: "free", createdAt: this.deps.clock.now() };
    if (!(await this.deps.store.createUser(user))) throw taken();
    const { record, key } = await this.deps.keys.create(user, { name: "default" });
    this.deps.log.info("account.registered", { user_id: user.id, key_id: record.id });
    return { ...this.session(user), key: record, apiKey: key };
  }

  /** Verifies credentials; the same 401 for an unknown e-mail and a wrong password. */
  async login(input: { email: string; password: string }, ip: string | null): Promise<Session> {
    const email = normalizeEmail(input.email);
    await this.deps.throttle.check(email, ip);
    // Over-long input never reaches argon2; it is answered like any wrong password.
    const plausible = [...input.password].length <= PASSWORD_LENGTH.max;
    const user = await this.deps.store.userByEmail(email);
    const ok = await this.deps.passwords.verify(plausible ? input.password : "", plausible ? (user?.passwordHash ?? null) : null);
    if (!ok || !user) {
      await this.deps.throttle.failure(email, ip);
      throw new AppError("unauthorized", "invalid e-mail or password");
    }
    await this.deps.throttle.success(email);
    return this.session(user);
  }

  /** The account's plan and this month's credits. */
  async credits(userId: string, plan: TierId): Promise<CreditsView> {
    const period = creditPeriod(this.deps.clock.now());
    const used = await this.deps.meter.used(userId, period.month);
    const included = TIERS[plan].monthlyCredits;
    return {
      month: period.month, included, used, remaining: included === null ? null : Math.max(0, included - used),
      overage: overage(plan, used), hardCap: creditCap(plan) !== null, resetsAt: period.end,
    };
  }

  /** The user behind a JWT subject (null when the account no longer exists). */
  user(userId: string): Promise<UserRecord | null> {
    return this.deps.store.userById(userId);
  }

  private session(user: UserRecord): Session {
    const { token, expiresAt } = this.deps.jwt.sign(user.id, this.deps.clock.now());
    return { user, token, expiresAt };
  }
}
