/**
 * The supervisor: creates and stops root actors and watches them. An actor that throws is logged
 * and restarted from its input (up to a bound per minute, then left stopped and reported), so one
 * failing actor never takes the process down. Actors get the injected clock.
 */
import { createActor, type Actor, type AnyActorLogic, type InputFrom } from "xstate";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";

export interface SupervisedActor<L extends AnyActorLogic> {
  readonly id: string;
  /** The current incarnation (replaced after a restart). */
  readonly ref: Actor<L>;
  readonly restarts: number;
  readonly failed: boolean;
}

interface Entry {
  id: string;
  ref: Actor<AnyActorLogic>;
  restarts: number[];
  failed: boolean;
  stopped: boolean;
  wire?: (ref: Actor<AnyActorLogic>) => void;
}

export interface ActorSystem {
  /**
   * Starts a root actor. `wire` runs on every incarnation (first start and restarts) before it
   * starts, so listeners (`ref.on(...)`) survive restarts.
   */
  spawn<L extends AnyActorLogic>(
    id: string,
    logic: L,
    opts: { input: InputFrom<L>; wire?: (ref: Actor<L>) => void },
  ): SupervisedActor<L>;
  get(id: string): SupervisedActor<AnyActorLogic> | undefined;
  stop(id: string): void;
  stopAll(): void;
  /** Ids of actors that exhausted their restarts. */
  failed(): string[];
}

const MAX_RESTARTS_PER_MINUTE = 5;

export function createActorSystem(deps: { clock: Clock; log: Logger }): ActorSystem {
  const entries = new Map<string, Entry>();

  const launch = (entry: Entry, logic: AnyActorLogic, input: unknown) => {
    const ref = createActor(logic, { input, clock: deps.clock, id: entry.id });
    entry.ref = ref;
    entry.wire?.(ref);
    ref.subscribe({
      error: (err) => {
        if (entry.stopped) return;
        const now = deps.clock.now();
        entry.restarts = entry.restarts.filter((t) => now - t < 60_000);
        if (entry.restarts.length >= MAX_RESTARTS_PER_MINUTE) {
          entry.failed = true;
          deps.log.error("actor failed too often; left stopped", { actor: entry.id, err });
          return;
        }
        entry.restarts.push(now);
        deps.log.warn("actor crashed; restarting", { actor: entry.id, restarts: entry.restarts.length, err });
        launch(entry, logic, input);
      },
    });
    ref.start();
  };

  const view = (entry: Entry) => ({
    id: entry.id,
    get ref() {
      return entry.ref;
    },
    get restarts() {
      return entry.restarts.length;
    },
    get failed() {
      return entry.failed;
    },
  });

  return {
    spawn(id, logic, opts) {
      if (entries.has(id)) throw new Error(`actor ${id} already exists`);
      const entry: Entry = { id, ref: undefined as never, restarts: [], failed: false, stopped: false, wire: opts.wire as Entry["wire"] };
      entries.set(id, entry);
      launch(entry, logic, opts.input);
      return view(entry) as never;
    },
    get(id) {
      const e = entries.get(id);
      return e ? (view(e) as never) : undefined;
    },
    stop(id) {
      const e = entries.get(id);
      if (!e) return;
      e.stopped = true;
      e.ref.stop();
      entries.delete(id);
    },
    stopAll() {
      for (const id of [...entries.keys()]) this.stop(id);
    },
    failed: () => [...entries.values()].filter((e) => e.failed).map((e) => e.id),
  };
}
