/**
 * Password hashing with argon2id (Bun.password), bounded: at most `concurrency` hashes run at
 * once and at most `maxQueue` wait, so a burst of sign-ins costs at most concurrency × memoryCost
 * of memory; beyond the queue the request is refused with 503 and Retry-After instead of piling up.
 *
 * Parameters: OWASP's argon2id baseline (m = 19 MiB, t = 2, p = 1), about 20–40 ms per hash on a
 * server core. A login for an unknown e-mail verifies against a dummy hash made with the same
 * parameters, so it takes as long as a wrong password for a real account.
 */
import { AppError } from "../lib/errors";

/** Options of {@link PasswordHasher}. */
export interface PasswordHasherOptions {
  /** Hashes computed at once. */
  concurrency: number;
  /** Callers allowed to wait for a slot; more are refused with 503. Default 64 × concurrency. */
  maxQueue?: number;
  /** argon2 memory in KiB. Default 19456 (19 MiB). */
  memoryCost?: number;
  /** argon2 iterations. Default 2. */
  timeCost?: number;
}

/** Hashes and verifies passwords with bounded concurrency. */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly maxQueue: number;
  private readonly params: { algorithm: "argon2id"; memoryCost: number; timeCost: number };
  private dummy: Promise<string> | undefined;

  constructor(private readonly opts: PasswordHasherOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError("concurrency must be a positive integer");
    this.maxQueue = opts.maxQueue ?? 64 * opts.concurrency;
    this.params = { algorithm: "argon2id", memoryCost: opts.memoryCost ?? 19_456, timeCost: opts.timeCost ?? 2 };
  }

  /** argon2id PHC string of `password`. */
  hash(password: string): Promise<string> {
    return this.slot(() => Bun.password.hash(password, this.params));
  }

  /**
   * True when `password` matches `hash`. With `hash` null (no such account) it verifies against a
   * dummy hash and returns false: the same work, so timing does not reveal whether the e-mail exists.
   */
  async verify(password: string, hash: string | null): Promise<boolean> {
    this.dummy ??= this.hash(crypto.randomUUID());
    const target = hash ?? (await this.dummy);
    const ok = await this.slot(() => Bun.password.verify(password, target).catch(() => false));
    return hash !== null && ok;
  }

  /** Hashes in progress and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.opts.concurrency) {
      if (this.waiting.length >= this.maxQueue) {
        throw new AppError("service_unavailable", "too many sign-ins in progress; retry shortly", { headers: { "retry-after": "1" } });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
