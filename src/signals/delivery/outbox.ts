/**
 * The outbox's write side: turns a firing (or a test event) into delivery rows — one per enabled
 * channel, each with its final webhook-id and the exact body every attempt will send — commits them,
 * and only then wakes the worker. A crash after the commit loses nothing: the worker finds the rows
 * on its next start and sends them under the same ids.
 */
import type { Clock } from "../../lib/clock.ts";
import { newPrefixedId } from "../../lib/ids.ts";
import type { SignalField, SignalFiring } from "../../domain/signals/rule.ts";
import type { DeliveryRecord, FiringWrite, SignalRecord, SignalsStore } from "../../store/signals.port.ts";
import { buildSignalPayload } from "./payload.ts";

export interface OutboxOptions {
  store: Pick<SignalsStore, "recordFiring" | "recordFirings" | "enqueueTest">;
  clock: Clock;
  /** Woken after each commit; absent on nodes that do not deliver (their rows wait for the leader's worker). */
  worker?: { kick(): void };
}

/** Options of a test event: by default now, with no field values; a backtest dry run passes the firing's, and paces sends with `dueAt`. */
export interface TestEventOptions {
  firedAt?: number;
  values?: Partial<Record<SignalField, string>>;
  /** When the event is first sent (ms); default now. */
  dueAt?: number;
}

export interface Outbox {
  /** Commits a live firing: `signal.fired` to every enabled channel. Idempotent on (signal, firing.ts). */
  fire(signal: SignalRecord, firing: SignalFiring): Promise<DeliveryRecord[]>;
  /**
   * Commits many live firings in one store transaction (a firing storm), each as `fire` would, and
   * wakes the worker once. Returns each item's rows in item order.
   */
  fireMany(items: ReadonlyArray<{ signal: SignalRecord; firing: SignalFiring }>): Promise<DeliveryRecord[][]>;
  /** Commits a test event (`signal.test`, `data.test: true`) to every enabled channel; `lastFiredAt` is untouched. */
  sendTest(signal: SignalRecord, opts?: TestEventOptions): Promise<DeliveryRecord[]>;
}

const enabledChannels = (signal: SignalRecord) =>
  signal.channels.flatMap((c, index) => (c.disabledAt === null ? [{ index, url: c.url }] : []));

/** A firing's delivery rows: one per enabled channel, each with its own webhook-id, all with the same body. */
const firingWrite = (signal: SignalRecord, firing: SignalFiring, now: number): FiringWrite => {
  const body = buildSignalPayload({ signal, firedAt: firing.ts, values: firing.values, test: false, now });
  return { firing, deliveries: enabledChannels(signal).map((c) => ({ id: newPrefixedId("msg"), channel: c.index, url: c.url, body })) };
};

export function createOutbox(o: OutboxOptions): Outbox {
  return {
    async fire(signal, firing) {
      const now = o.clock.now();
      const { deliveries } = firingWrite(signal, firing, now);
      const rows = await o.store.recordFiring(firing, deliveries, now);
      if (rows.length > 0) o.worker?.kick();
      return rows;
    },
    async fireMany(items) {
      if (items.length === 0) return [];
      const now = o.clock.now();
      const rows = await o.store.recordFirings(items.map((i) => firingWrite(i.signal, i.firing, now)), now);
      if (rows.some((r) => r.length > 0)) o.worker?.kick();
      return rows;
    },
    async sendTest(signal, opts = {}) {
      const now = o.clock.now();
      const body = buildSignalPayload({ signal, firedAt: opts.firedAt ?? now, values: opts.values ?? {}, test: true, now });
      const rows: DeliveryRecord[] = [];
      for (const c of enabledChannels(signal)) {
        rows.push(await o.store.enqueueTest(signal.id, { id: newPrefixedId("msg"), channel: c.index, url: c.url, body }, now, opts.dueAt ?? now));
      }
      if (rows.length > 0) o.worker?.kick();
      return rows;
    },
  };
}
