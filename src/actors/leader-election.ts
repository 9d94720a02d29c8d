/**
 * Ingest leader election: a standby keeps trying the lock, and the winner runs ingest until it
 * loses the lock, then goes back to standby. It is an XState machine like every other actor. The
 * machine is pure and time comes only from the named `retry` delay on the injected clock. The lock
 * I/O is provided by `runLeaderElection`, the one entry point the composition root uses.
 *
 * Failover budget: a standby must lead within 10 s of the leader's death. That takes
 * retryMs ≤ 2 s, plus lock release within ~8 s: immediate for PostgreSQL when the connection
 * closes, one TTL (default 6 s) for Redis.
 */
import { createActor, fromPromise, setup } from "xstate";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { LeaderLock } from "../store/ports.ts";

/** The pure election graph; `tryAcquire`, `lockLost`, `elected`, `lost` are provided at run time. */
export const leaderElectionMachine = setup({
  types: {
    context: {} as { retryMs: number },
    input: {} as { retryMs: number },
  },
  actors: {
    tryAcquire: fromPromise<boolean>(async () => false),
  },
  guards: {
    lockLost: () => false,
  },
  actions: {
    elected: () => {},
    lost: () => {},
    acquireFailed: (_, _params: { error: unknown }) => {},
  },
  delays: {
    retry: ({ context }) => context.retryMs,
  },
}).createMachine({
  id: "leaderElection",
  context: ({ input }) => ({ retryMs: input.retryMs }),
  initial: "acquiring",
  states: {
    acquiring: {
      invoke: {
        src: "tryAcquire",
        onDone: [{ guard: ({ event }) => event.output, target: "leader" }, { target: "standby" }],
        onError: { target: "standby", actions: { type: "acquireFailed", params: ({ event }) => ({ error: event.error }) } },
      },
    },
    standby: {
      after: { retry: "acquiring" },
    },
    leader: {
      entry: "elected",
      initial: "holding",
      states: {
        // The lock keeps itself alive; the loop only checks it still holds it, once per retry.
        holding: {
          after: {
            retry: [
              { guard: "lockLost", target: "#leaderElection.standby", actions: "lost" },
              { target: "holding", reenter: true },
            ],
          },
        },
      },
    },
  },
});

/** Options of {@link runLeaderElection}. */
export interface LeaderElectionOptions {
  lock: LeaderLock;
  clock: Clock;
  /** Delay between attempts while standing by, and between lock checks while leading. Default 1000. */
  retryMs?: number;
  /** Called when this node becomes leader (start ingest). Errors are logged, not rethrown. */
  onElected: () => void | Promise<void>;
  /** Called when this node loses the lock (stop ingest at once: another node may lead now). */
  onLost: () => void | Promise<void>;
  log: Logger;
}

/** A running election. */
export interface LeaderElection {
  /** "leader" while this node holds the lock, "standby" while it waits, "stopped" after stop(). */
  readonly status: "leader" | "standby" | "stopped";
  /**
   * Stops the loop and releases the lock, so a standby can take over at once. It does not call
   * onLost: the caller is shutting down and stops its own ingest.
   */
  stop(): Promise<void>;
}

/** Starts electing: the first attempt runs at once, later ones every `retryMs`. */
export function runLeaderElection(opts: LeaderElectionOptions): LeaderElection {
  const { lock, clock } = opts;
  const retryMs = opts.retryMs ?? 1_000;
  if (!(retryMs > 0)) throw new RangeError(`retryMs must be positive, got ${retryMs}`);
  const log = opts.log.child({ component: "leader-election", lock: lock.kind });
  let inflight: Promise<boolean> | null = null;
  let stopped = false;

  const call = (name: string, fn: () => void | Promise<void>) => {
    try {
      Promise.resolve(fn()).catch((err: unknown) => log.error(`leader.${name}_failed`, { err }));
    } catch (err) {
      log.error(`leader.${name}_failed`, { err });
    }
  };

  const machine = leaderElectionMachine.provide({
    actors: {
      tryAcquire: fromPromise(async () => {
        const attempt = lock.tryAcquire();
        inflight = attempt;
        try {
          return await attempt;
        } finally {
          if (inflight === attempt) inflight = null;
        }
      }),
    },
    guards: {
      lockLost: () => !lock.isLeader,
    },
    actions: {
      elected: () => {
        log.info("leader.elected");
        call("onElected", opts.onElected);
      },
      lost: () => {
        log.warn("leader.lost");
        call("onLost", opts.onLost);
      },
      acquireFailed: (_, { error }) => log.warn("leader.acquire_failed", { err: error }),
    },
  });

  const actor = createActor(machine, { input: { retryMs }, clock });
  actor.start();

  return {
    get status() {
      if (stopped) return "stopped";
      return actor.getSnapshot().matches("leader") ? "leader" : "standby";
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      actor.stop();
      // An attempt still in flight may win the lock after we stopped; let it land, then release.
      if (inflight) await inflight.catch(() => false);
      await lock.release();
    },
  };
}
