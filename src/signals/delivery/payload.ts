/**
 * The JSON body of a signal webhook. One builder for live firings, test events (POST …/test) and
 * backtest dry runs, so receivers see one shape:
 *
 *   { "type": "signal.fired" | "signal.test", "timestamp": ISO-8601 (when the event was created),
 *     "data": { "signal_id", "signal_name", "venue", "market_id", "fired_at" (ms of the market event),
 *               "values": { field: decimal string }, "rule": { conditions, logic }, "test": boolean } }
 *
 * The body is built once, stored in the outbox and sent byte for byte on every attempt, so the
 * signature a receiver checks always covers the same bytes.
 */
import type { SignalField, SignalRule } from "../../domain/signals/rule.ts";
import type { SignalRecord } from "../../store/signals.port.ts";

export type WebhookEventType = "signal.fired" | "signal.test";

export interface SignalWebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: {
    signal_id: string;
    signal_name: string;
    venue: string;
    market_id: number;
    fired_at: number;
    values: Partial<Record<SignalField, string>>;
    rule: SignalRule;
    test: boolean;
  };
}

export interface PayloadInput {
  signal: Pick<SignalRecord, "id" | "name" | "venue" | "marketId" | "rule">;
  /** Market-event time of the firing (ms); for a plain test event, usually now. */
  firedAt: number;
  values: Partial<Record<SignalField, string>>;
  /** A test event (`signal.test`, `data.test: true`) rather than a live firing. */
  test: boolean;
  /** When the event is created (ms): the envelope's `timestamp`. */
  now: number;
}

/** Builds the payload object. */
export function signalPayload(p: PayloadInput): SignalWebhookPayload {
  return {
    type: p.test ? "signal.test" : "signal.fired",
    timestamp: new Date(p.now).toISOString(),
    data: {
      signal_id: p.signal.id,
      signal_name: p.signal.name,
      venue: p.signal.venue,
      market_id: p.signal.marketId,
      fired_at: p.firedAt,
      values: { ...p.values },
      rule: p.signal.rule,
      test: p.test,
    },
  };
}

/** The body as sent: the payload's JSON text. */
export const buildSignalPayload = (p: PayloadInput): string => JSON.stringify(signalPayload(p));
