/**
 * Slows down password guessing, per account and per client IP. Each failed login raises a
 * counter; past a free allowance every further failure closes the door for an exponentially
 * growing delay (1 s, 2 s, 4 s … capped at 15 min) during which attempts are refused with 429 and
 * Retry-After — without verifying the password, so they cost nothing. A success clears the
 * account's counter (not the IP's: one correct password must not launder a spraying IP).
 *
 * Counters live in the Cache port (memory on one node, Redis across nodes), keyed by a hash of the
 * e-mail so no address is stored there, and the same for unknown e-mails as for real ones, so the
 * throttle never tells whether an account exists. Read-modify-write is not atomic across nodes:
 * concurrent failures can be counted once instead of twice, which only softens the delay slightly.
 * A cache that fails (Redis down) fails open, logged: sign-in keeps working, unthrottled, rather
 * than every login becoming a 500.
 */
import type { Clock } from "../lib/clock";
import { AppError } from "../lib/errors";
import type { Logger } from "../lib/log";
import type { Cache } from "../store/ports";

/** Failures allowed before delays start, and the delay cap. */
export const LOGIN_THROTTLE = Object.freeze({ freeAccountFailures: 5, freeIpFailures: 20, maxDelayMs: 15 * 60_000, memoryMs: 60 * 60_000 });

interface State {
  failures: number;
  /** No attempt is evaluated before this (ms). */
  until: number;
}

const sha = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex").slice(0, 32);

/** Per-account and per-IP slow-down of failed logins. */
export class LoginThrottle {
  constructor(private readonly deps: { cache: Cache; clock: Clock; log: Logger }) {}

  /** Throws 429 (with Retry-After) while the account or the IP is in a delay. */
  async check(email: string, ip: string | null): Promise<void> {
    const now = this.deps.clock.now();
    const states = await Promise.all([this.read(this.accountKey(email)), ip ? this.read(this.ipKey(ip)) : null]);
    const until = Math.max(...states.map((s) => s?.until ?? 0));
    if (until > now) {
      const seconds = Math.ceil((until - now) / 1000);
      throw new AppError("rate_limit_exceeded", `too many failed sign-in attempts; retry in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
    }
  }

  /** Records a failed attempt against the account and the IP. */
  async failure(email: string, ip: string | null): Promise<void> {
    await Promise.all([
      this.bump(this.accountKey(email), LOGIN_THROTTLE.freeAccountFailures),
      ip ? this.bump(this.ipKey(ip), LOGIN_THROTTLE.freeIpFailures) : undefined,
    ]);
  }

  /** Clears the account's failures after a successful login. */
  async success(email: string): Promise<void> {
    await this.deps.cache.del(this.accountKey(email)).catch((err: unknown) => this.cacheFailed(err));
  }

  private cacheFailed(err: unknown): null {
    this.deps.log.warn("login_throttle.cache_failed", { err });
    return null;
  }

  private accountKey = (email: string) => `auth:fail:acct:${sha(email)}`;
  private ipKey = (ip: string) => `auth:fail:ip:${ip}`;

  private async read(key: string): Promise<State | null> {
    const raw = await this.deps.cache.get(key).catch((err: unknown) => this.cacheFailed(err));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as State;
    } catch {
      return null;
    }
  }

  private async bump(key: string, free: number): Promise<void> {
    const now = this.deps.clock.now();
    const failures = ((await this.read(key))?.failures ?? 0) + 1;
    const over = failures - free;
    const until = over >= 0 ? now + Math.min(LOGIN_THROTTLE.maxDelayMs, 1000 * 2 ** Math.min(over, 20)) : 0;
    await this.deps.cache.set(key, JSON.stringify({ failures, until } satisfies State), LOGIN_THROTTLE.memoryMs).catch((err: unknown) => this.cacheFailed(err));
  }
}
