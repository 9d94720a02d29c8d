/**
 * Finds the key record for a presented key on the hot path: key hash → record, cached in memory
 * for a few seconds so a busy key costs one store read per TTL per node, not one per request.
 * Misses (unknown hashes) are cached too, so a client retrying a wrong key cannot hammer the store.
 * Concurrent lookups of one hash share a single store read.
 *
 * Invalidation: revoking, changing a key or an account's plan publishes an invalidation (see
 * invalidation.ts) that drops the affected entries on every node. A store read that started before
 * an invalidation is not cached when it finishes (the epoch check), so a read racing a revoke cannot
 * put the revoked record back for another TTL. Only hashes are held here, never a key.
 */
import type { Clock } from "../lib/clock";
import { createIpMatcher } from "../lib/ip";
import type { Maybe } from "../lib/maybe";
import { sameHash } from "./api-key";
import type { ApiKeyRecord, IdentityStore } from "../store/ports";
import type { TierId } from "../domain/tiers";
import type { Invalidation } from "./invalidation";

/** A key as the auth plugin needs it: the record, the owner's plan and a compiled IP allowlist. */
export interface ResolvedKey {
  key: ApiKeyRecord;
  plan: TierId;
  /** Null when any address may use the key. */
  allows: ((ip: string | null | undefined) => boolean) | null;
}

interface Entry {
  value: ResolvedKey | null;
  until: number;
}

/** Options of {@link KeyDirectory}. */
export interface KeyDirectoryOptions {
  store: IdentityStore;
  clock: Clock;
  /** How long a found key is trusted without re-reading the store. Default 5000 ms. */
  ttlMs?: number;
  /** How long an unknown hash is remembered as unknown. Default 5000 ms. */
  missTtlMs?: number;
  /** Entries kept at most (oldest dropped first). Default 100,000. */
  maxEntries?: number;
}

/** The hash → key cache. */
export class KeyDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<ResolvedKey | null>>();
  private epoch = 0;
  private readonly ttlMs: number;
  private readonly missTtlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly opts: KeyDirectoryOptions) {
    this.ttlMs = opts.ttlMs ?? 5_000;
    this.missTtlMs = opts.missTtlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 100_000;
  }

  /** The key whose SHA-256 is `hash` (revoked ones included), or null. */
  lookup(hash: string): Maybe<ResolvedKey | null> {
    const hit = this.entries.get(hash);
    // A hit answers at once: most requests of a busy key never wait for a promise here.
    if (hit && hit.until > this.opts.clock.now()) return hit.value;
    let pending = this.inflight.get(hash);
    if (!pending) {
      pending = this.load(hash);
      this.inflight.set(hash, pending);
      const clear = () => this.inflight.delete(hash);
      pending.then(clear, clear);
    }
    return pending;
  }

  /** Drops what `msg` names (wired to the invalidation bus). */
  invalidate(msg: Invalidation): void {
    this.epoch++;
    if ("all" in msg) {
      this.entries.clear();
      return;
    }
    for (const [hash, e] of this.entries) {
      const k = e.value?.key;
      if (k && ("keyId" in msg ? k.id === msg.keyId : k.userId === msg.userId)) this.entries.delete(hash);
    }
  }

  /** The records cached now (diagnostics and tests: they hold hashes and prefixes, never keys). */
  dump(): ApiKeyRecord[] {
    return [...this.entries.values()].flatMap((e) => (e.value ? [e.value.key] : []));
  }

  /** Entries cached now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private async load(hash: string): Promise<ResolvedKey | null> {
    const epoch = this.epoch;
    const stored = await this.opts.store.keyByHash(hash);
    // Checked once here rather than on every request: the store finds a key by an index lookup, and
    // this re-check (constant time) guards against an adapter that would ever match loosely.
    const found = stored && sameHash(stored.key.hash, hash) ? stored : null;
    const value: ResolvedKey | null = found
      ? { key: found.key, plan: found.plan, allows: found.key.allowedIps === null ? null : createIpMatcher(found.key.allowedIps) }
      : null;
    if (epoch === this.epoch) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      this.entries.set(hash, { value, until: this.opts.clock.now() + (value ? this.ttlMs : this.missTtlMs) });
    }
    return value;
  }
}
