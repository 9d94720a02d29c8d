/**
 * Builds the identity runtime — password hashing, JWTs, the key directory and its invalidation
 * bus, the credit meter, usage recording and the account/key/admin services — from the ports the
 * composition root already has. Redis, when given, makes the bus and the credit meter span nodes;
 * without it everything is in process (one node).
 */
import type Redis from "ioredis";
import type { Clock } from "../lib/clock";
import { createJwtCodec, type JwtCodec } from "../lib/jwt";
import type { Logger } from "../lib/log";
import type { Cache, IdentityStore, RateLimiter } from "../store/ports";
import { AccountsService } from "./accounts.service";
import { AdminService } from "./admin.service";
import { createMemoryCreditMeter, createStoreCreditMeter, type CreditMeter } from "./credit-meter";
import { createRedisCreditMeter } from "./credit-meter.redis";
import { createMemoryInvalidationBus, createRedisInvalidationBus, type InvalidationBus } from "./invalidation";
import { KeyDirectory } from "./key-directory";
import { KeysService } from "./keys.service";
import { LoginThrottle } from "./login-throttle";
import { PasswordHasher } from "./passwords";
import { UsageRecorder } from "./usage-recorder";

/** JWT issuer: tokens are only ever accepted from this service… */
export const JWT_ISSUER = "hyperlight";
/** …and only for this API. */
export const JWT_AUDIENCE = "hyperlight-api";

/** Options of {@link createIdentity}. */
export interface IdentityOptions {
  store: IdentityStore;
  /** Several processes write the store (PostgreSQL): without Redis, credits are then debited in the store. */
  sharedStore: boolean;
  cache: Cache;
  limiter: RateLimiter;
  clock: Clock;
  log: Logger;
  jwtSecret: string;
  /** Default 12 h. */
  jwtTtlSeconds?: number;
  redis?: { client: Redis; subscriber: Redis };
  /** argon2 hashes at once. Default 4. */
  hashConcurrency?: number;
  /** argon2 cost; tests lower it. Defaults: OWASP baseline (19 MiB, t = 2). */
  passwordCost?: { memoryCost: number; timeCost: number };
  /** Default 20. */
  registrationsPerIpPerHour?: number;
  /** Key cache TTL. Default 5000 ms. */
  keyCacheTtlMs?: number;
  /** ADMIN_TOKEN; unset disables the admin routes. */
  adminToken?: string;
}

/** The identity runtime handed to the HTTP layer (and, later, the WebSocket gateway). */
export interface Identity {
  readonly store: IdentityStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limiter: RateLimiter;
  readonly jwt: JwtCodec;
  readonly directory: KeyDirectory;
  readonly bus: InvalidationBus;
  readonly meter: CreditMeter;
  readonly usage: UsageRecorder;
  readonly accounts: AccountsService;
  readonly keys: KeysService;
  readonly admin: AdminService;
  readonly adminToken: string | undefined;
  /** Writes pending usage and credits, stops timers and the bus. */
  close(): Promise<void>;
}

/** Composes the identity runtime. */
export function createIdentity(opts: IdentityOptions): Identity {
  const log = opts.log.child({ component: "identity" });
  const { store, clock } = opts;
  const bus = opts.redis
    ? createRedisInvalidationBus({ pub: opts.redis.client, sub: opts.redis.subscriber, channel: "hl:keys:invalidate", log })
    : createMemoryInvalidationBus();
  const directory = new KeyDirectory({ store, clock, ttlMs: opts.keyCacheTtlMs });
  bus.subscribe((msg) => directory.invalidate(msg));
  // Redis spans nodes; a store only this process writes (SQLite) can be metered in memory; a shared
  // store without Redis (PostgreSQL, several nodes) is metered in the store itself.
  const meter = opts.redis
    ? createRedisCreditMeter({ redis: opts.redis.client, store, clock, log })
    : opts.sharedStore
      ? createStoreCreditMeter(store)
      : createMemoryCreditMeter({ store, clock, log });
  const usage = new UsageRecorder({ store, clock, log });
  const jwt = createJwtCodec({ secret: opts.jwtSecret, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, ttlSeconds: opts.jwtTtlSeconds ?? 12 * 3600 });
  const keys = new KeysService({ store, clock, log, bus, usage });
  const accounts = new AccountsService({
    store, clock, log, jwt, keys, meter, limiter: opts.limiter,
    passwords: new PasswordHasher({ concurrency: opts.hashConcurrency ?? 4, ...opts.passwordCost }),
    throttle: new LoginThrottle({ cache: opts.cache, clock, log }),
    registrationsPerIpPerHour: opts.registrationsPerIpPerHour ?? 20,
  });
  const admin = new AdminService({ store, clock, log, bus, usage });

  return {
    store, clock, log, limiter: opts.limiter, jwt, directory, bus, meter, usage, accounts, keys, admin,
    adminToken: opts.adminToken,
    async close() {
      await Promise.allSettled([usage.close(), meter.close()]);
      await bus.close();
    },
  };
}
