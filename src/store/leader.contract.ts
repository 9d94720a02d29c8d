/**
 * The LeaderLock contract. Each harness hands out locks on ONE shared lock id/key, each on its own
 * connection, as if each belonged to a different ingest node. Backends that cannot exclude
 * anybody (the local single-node lock) say so with `exclusive: false`, and those tests show as
 * skipped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { LeaderLock } from "./ports.ts";

/** What a backend can do, known when tests are registered. */
export interface LeaderLockCapabilities {
  /** Two locks on the same id exclude each other. */
  exclusive: boolean;
}

/** What a backend's test file supplies. */
export interface LeaderLockHarness {
  /** A new lock on the shared id/key, on a connection of its own. */
  makeLock(): LeaderLock;
  /** Kills `lock`'s holder without a release: its connection dies, as when the process is killed. */
  crash(lock: LeaderLock): Promise<void>;
  /** Upper bound for a crashed holder's lock to become free and for it to notice (deadlines). */
  freedWithinMs: number;
  close(): Promise<void>;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Registers the leader lock contract under `describe(name)`. */
export function leaderLockContract(name: string, caps: LeaderLockCapabilities, makeHarness: () => Promise<LeaderLockHarness>): void {
  describe(name, () => {
    let h: LeaderLockHarness;
    let made: LeaderLock[] = [];
    const node = () => {
      const lock = h.makeLock();
      made.push(lock);
      return lock;
    };

    beforeAll(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await Promise.all(made.map((lock) => lock.release().catch(() => {})));
      made = [];
    });
    afterAll(async () => {
      await h?.close();
    });

    test("tryAcquire wins on a free lock, isLeader follows, release clears it", async () => {
      const a = node();
      expect(a.isLeader).toBe(false);
      expect(await a.tryAcquire()).toBe(true);
      expect(a.isLeader).toBe(true);
      expect(await a.tryAcquire()).toBe(true); // asking again while leading keeps it
      await a.release();
      expect(a.isLeader).toBe(false);
    });

    test("a released lock can be won again by the same node", async () => {
      const a = node();
      expect(await a.tryAcquire()).toBe(true);
      await a.release();
      expect(await a.tryAcquire()).toBe(true);
      expect(a.isLeader).toBe(true);
    });

    test.skipIf(!caps.exclusive)("of two nodes contending at once, exactly one leads", async () => {
      const [a, b] = [node(), node()];
      const won = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
      expect(won.filter(Boolean).length).toBe(1);
      expect([a.isLeader, b.isLeader]).toEqual(won);
    });

    test.skipIf(!caps.exclusive)("the leader keeps the lock; the standby keeps failing", async () => {
      const [a, b] = [node(), node()];
      expect(await a.tryAcquire()).toBe(true);
      for (let i = 0; i < 3; i++) {
        expect(await b.tryAcquire()).toBe(false);
        expect(await a.tryAcquire()).toBe(true);
      }
      expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    });

    test.skipIf(!caps.exclusive)("after the leader releases, the standby acquires", async () => {
      const [a, b] = [node(), node()];
      await a.tryAcquire();
      expect(await b.tryAcquire()).toBe(false);
      await a.release();
      expect(await b.tryAcquire()).toBe(true);
      expect([a.isLeader, b.isLeader]).toEqual([false, true]);
      expect(await a.tryAcquire()).toBe(false);
    });

    test.skipIf(!caps.exclusive)("a standby's release does not free the leader's lock", async () => {
      const [a, b] = [node(), node()];
      await a.tryAcquire();
      await b.tryAcquire();
      await b.release();
      expect(await node().tryAcquire()).toBe(false);
      expect(a.isLeader).toBe(true);
    });

    test.skipIf(!caps.exclusive)("when the leader dies without releasing, it stops leading and the standby takes over", async () => {
      const [a, b] = [node(), node()];
      expect(await a.tryAcquire()).toBe(true);
      expect(await b.tryAcquire()).toBe(false);
      await h.crash(a);
      await until("the dead leader to stop believing it leads", () => !a.isLeader, h.freedWithinMs);
      await until("the standby to acquire", () => b.tryAcquire(), h.freedWithinMs);
      expect(b.isLeader).toBe(true);
    }, 15_000);
  });
}
