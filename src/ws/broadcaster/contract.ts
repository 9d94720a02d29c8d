/**
 * The Broadcaster contract. Each harness supplies a broadcaster and a way to add a subscriber of a
 * topic: an in-process callback, a real WebSocket, or a subscriber on another node. Delivery may be
 * asynchronous, so tests await frames with deadlines. "Nothing else arrived" is proven with a
 * barrier frame published afterwards on the same path, never with a sleep.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Broadcaster } from "./port.ts";

/** Frames one subscriber has received, in order. */
export interface Inbox {
  readonly frames: string[];
  /** Resolves once `frame` has arrived (or already had); rejects after `timeoutMs`. */
  waitFor(frame: string, timeoutMs?: number): Promise<void>;
}

/** An Inbox plus the `push` its transport calls on every frame. */
export function createInbox(): Inbox & { push(frame: string): void } {
  const frames: string[] = [];
  const waiters = new Map<string, Array<() => void>>();
  return {
    frames,
    push(frame) {
      frames.push(frame);
      const waiting = waiters.get(frame);
      waiters.delete(frame);
      for (const resolve of waiting ?? []) resolve();
    },
    waitFor(frame, timeoutMs = 3_000) {
      if (frames.includes(frame)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`frame ${JSON.stringify(frame).slice(0, 80)} not received within ${timeoutMs} ms; got ${frames.length} frames`)), timeoutMs);
        const list = waiters.get(frame) ?? [];
        list.push(() => (clearTimeout(timer), resolve()));
        waiters.set(frame, list);
      });
    },
  };
}

/** What a backend's test file supplies. */
export interface BroadcasterHarness {
  broadcaster: Broadcaster;
  /** Adds a subscriber of `topic` and resolves once it is subscribed. */
  subscribe(topic: string): Promise<Inbox>;
  close(): Promise<void>;
}

/** Registers the broadcaster contract under `describe(name)`. */
export function broadcasterContract(name: string, makeHarness: () => Promise<BroadcasterHarness>): void {
  describe(name, () => {
    let h: BroadcasterHarness;
    let n = 0;
    // Topics as the gateway names them, unique per test.
    const topic = (kind: string) => `${kind}/${++n}`;

    beforeAll(async () => {
      h = await makeHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    test("delivers to subscribers of that topic only", async () => {
      const [t1, t2] = [topic("trade"), topic("order_book")];
      const [s1, s2] = await Promise.all([h.subscribe(t1), h.subscribe(t2)]);
      h.broadcaster.publish(t2, "for-2");
      h.broadcaster.publish(t1, "for-1");
      h.broadcaster.publish(t2, "barrier-2");
      await Promise.all([s1.waitFor("for-1"), s2.waitFor("barrier-2")]);
      // Per subscriber, frames arrive in publish order, so a misrouted frame would be here already.
      expect(s1.frames).toEqual(["for-1"]);
      expect(s2.frames).toEqual(["for-2", "barrier-2"]);
    });

    test("every subscriber of a topic gets each frame exactly once, in publish order", async () => {
      const t = topic("trade");
      const subs = await Promise.all([h.subscribe(t), h.subscribe(t), h.subscribe(t)]);
      const frames = Array.from({ length: 20 }, (_, i) => JSON.stringify({ seq: i }));
      for (const frame of frames) h.broadcaster.publish(t, frame);
      await Promise.all(subs.map((s) => s.waitFor(frames.at(-1)!)));
      for (const s of subs) expect(s.frames).toEqual(frames);
    });

    test("frames pass through unchanged (unicode, newlines, large payloads)", async () => {
      const t = topic("enriched_trade");
      const s = await h.subscribe(t);
      const frames = [
        JSON.stringify({ channel: t, note: "ünïcødé ✓ 🚀", px: "63512.50" }),
        "line one\nline two\n\nend",
        JSON.stringify({ levels: Array.from({ length: 4_000 }, (_, i) => [String(60_000 + i), "1.25"]) }),
      ];
      for (const frame of frames) h.broadcaster.publish(t, frame);
      await s.waitFor(frames[2]!);
      expect(s.frames).toEqual(frames);
    });

    test("publishing to a topic nobody subscribes to is harmless", async () => {
      const t = topic("alert");
      h.broadcaster.publish(topic("nobody"), "lost in the void");
      const s = await h.subscribe(t);
      h.broadcaster.publish(t, "after");
      await s.waitFor("after");
      expect(s.frames).toEqual(["after"]);
    });
  });
}
