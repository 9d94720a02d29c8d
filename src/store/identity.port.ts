/**
 * The identity aggregate's port: our users, their API keys, hourly usage per key and the monthly
 * credit ledger per user. Adapters: sqlite/identity.sqlite.ts, postgres/identity.postgres.ts; both
 * pass identity.contract.ts. Secrets never reach this port: a password arrives as its argon2id PHC
 * string, a key as the SHA-256 hex of the whole key.
 */
import type { TierId } from "../domain/tiers.ts";
import type { Page, Paged } from "./ports.ts";

/** One of our users (an account). */
export interface UserRecord {
  /** "usr_" + 24 hex. */
  id: string;
  /** Normalised e-mail (unique). */
  email: string;
  /** argon2id PHC string. */
  passwordHash: string;
  plan: TierId;
  createdAt: number;
}

/** An API key, as stored: never the key itself. */
export interface ApiKeyRecord {
  /** "key_" + 24 hex: how clients address the key. */
  id: string;
  userId: string;
  /** SHA-256 of the full key, lower-case hex (64 chars). Unique. */
  hash: string;
  /** What is shown to identify the key: "hlt_" + its first 8 hex characters. */
  prefix: string;
  name: string;
  tier: TierId;
  /** Addresses and CIDR blocks allowed to use the key; null = any. */
  allowedIps: string[] | null;
  expiresAt: number | null;
  enabled: boolean;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** A change to a key: an absent field is left as it is; null clears a nullable one. */
export interface ApiKeyPatch {
  name?: string;
  tier?: TierId;
  allowedIps?: string[] | null;
  expiresAt?: number | null;
  enabled?: boolean;
}

/** A key found by its hash, with its owner's current plan (credits are counted per account). */
export interface KeyWithOwner {
  key: ApiKeyRecord;
  plan: TierId;
}

/** Counters to add to one key's hour. */
export interface UsageDelta {
  keyId: string;
  /** ms of the UTC hour's start. */
  hour: number;
  requests: number;
  credits: number;
  errors: number;
}

/** One key's counters for one hour. */
export interface UsageRow {
  hour: number;
  requests: number;
  credits: number;
  errors: number;
}

/** Credits to add to one account's month (write-behind of debits decided elsewhere). */
export interface CreditDelta {
  userId: string;
  /** "YYYY-MM" (UTC). */
  month: string;
  amount: number;
}

/** Persistence of the identity aggregate (see the file comment). */
export interface IdentityStore {
  /** Inserts a user. Resolves false (and inserts nothing) when the e-mail is taken. */
  createUser(user: UserRecord): Promise<boolean>;
  userById(id: string): Promise<UserRecord | null>;
  userByEmail(email: string): Promise<UserRecord | null>;
  /** Users oldest first by (createdAt, id), optionally only the one with `email`. */
  listUsers(q: Page & { email?: string }): Promise<Paged<UserRecord>>;
  /** Sets a user's plan. Resolves false when there is no such user. */
  setUserPlan(userId: string, plan: TierId): Promise<boolean>;

  /** Inserts a key (its hash must be new: a clash is a bug or a CSPRNG failure, and rejects). */
  createKey(key: ApiKeyRecord): Promise<void>;
  /** The key with this hash (revoked ones included, so callers can tell why it fails) and its owner's plan. */
  keyByHash(hash: string): Promise<KeyWithOwner | null>;
  keyById(id: string): Promise<ApiKeyRecord | null>;
  /** A user's keys, oldest first; revoked ones only when asked. */
  listKeys(userId: string, opts?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  /** Keys of a user not revoked. */
  countActiveKeys(userId: string): Promise<number>;
  /** Applies a patch to a key that is not revoked; null when there is no such key (or it is revoked). */
  updateKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null>;
  /** Revokes a key once; null when there is no such key or it already was revoked. */
  revokeKey(id: string, at: number): Promise<ApiKeyRecord | null>;
  /** Moves last_used_at forward (never back) for each key. */
  touchKeys(rows: ReadonlyArray<{ id: string; lastUsedAt: number }>): Promise<void>;

  /** Adds counters to (key, hour) rows, creating them as needed. */
  addUsage(rows: readonly UsageDelta[]): Promise<void>;
  /** One key's hours in [start, end), oldest first (hours without traffic are absent). */
  usage(q: { keyId: string; start: number; end: number }): Promise<UsageRow[]>;

  /** Credits an account has used in `month` (0 when it has none recorded). */
  creditsUsed(userId: string, month: string): Promise<number>;
  /**
   * Atomically adds `cost` to the account's month when the result stays ≤ `cap` (any result when
   * cap is null). Resolves the new total, or null when the debit was refused. Concurrent callers
   * on any number of processes never take the total past the cap.
   */
  debitCredits(q: { userId: string; month: string; cost: number; cap: number | null }): Promise<number | null>;
  /**
   * Adds amounts unconditionally (debits already admitted elsewhere, e.g. by the Redis meter);
   * resolves the new total of each distinct (userId, month) in the batch.
   */
  addCredits(rows: readonly CreditDelta[]): Promise<Array<{ userId: string; month: string; used: number }>>;
}
