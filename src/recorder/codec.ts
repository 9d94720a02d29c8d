/**
 * Journal record payloads: one batch as UTF-8 JSON `{"v":1,"k":kind,"r":rows}`. JSON keeps the
 * journal inspectable with standard tools; the CRC in the frame (frame.ts) guards integrity, so
 * the decoder only checks the envelope. Candles carry a bigint (quoteVolume), written as a decimal
 * string and restored on read.
 */
import type { CandleRecord } from "../store/ports.ts";
import { RECORD_KINDS, type Batch, type RecordKind } from "./types.ts";

const VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const bigintToString = (_key: string, value: unknown): unknown =>
  typeof value === "bigint" ? value.toString() : value;

/** Serializes a batch into a journal payload. */
export function encodeBatch(batch: Batch): Uint8Array {
  const json =
    batch.kind === "candles"
      ? JSON.stringify({ v: VERSION, k: batch.kind, r: batch.rows }, bigintToString)
      : JSON.stringify({ v: VERSION, k: batch.kind, r: batch.rows });
  return encoder.encode(json);
}

const isKind = (k: unknown): k is RecordKind => typeof k === "string" && (RECORD_KINDS as readonly string[]).includes(k);

/** Parses a payload written by `encodeBatch`; throws on anything else. */
export function decodeBatch(payload: Uint8Array): Batch {
  const parsed: unknown = JSON.parse(decoder.decode(payload));
  if (typeof parsed !== "object" || parsed === null) throw new Error("journal record is not an object");
  const { v, k, r } = parsed as { v?: unknown; k?: unknown; r?: unknown };
  if (v !== VERSION) throw new Error(`journal record version ${String(v)} is not supported`);
  if (!isKind(k) || !Array.isArray(r)) throw new Error("journal record has no kind or rows");
  if (k === "candles") {
    const rows = r as (Omit<CandleRecord, "quoteVolume"> & { quoteVolume: string })[];
    return { kind: k, rows: rows.map((c) => ({ ...c, quoteVolume: BigInt(c.quoteVolume) })) };
  }
  // The frame's CRC proves these bytes are exactly what encodeBatch wrote for this kind.
  return { kind: k, rows: r } as Batch;
}

/**
 * Rough in-memory size of one row, for the byte bound: estimates of an object's heap footprint
 * with its strings, on the high side so the bound errs towards spilling early. Only book
 * snapshots vary with their content (two arrays of [price, size] tuples).
 */
export const ROW_BYTES = { trades: 200, candles: 240, funding: 200, liquidations: 200, metrics: 220, fills: 220, pnl: 200, heatmap: 300 } as const;

/** Estimated bytes held by a book snapshot. */
export const bookSnapshotBytes = (levels: number): number => 160 + 48 * levels;
