/**
 * Journal framing. A segment file is a plain sequence of frames:
 *
 *   [u32 LE payload length][u32 LE CRC-32 (IEEE) of the payload][payload bytes]
 *
 * There is no file header: a segment is only ever appended to, and a reader must be able to
 * recover every complete frame of a file whose last write was cut short (SIGKILL, power loss).
 * Such a torn tail shows up as too few bytes for a header, a length running past the end of
 * the file, a CRC mismatch, or a zero length (file systems may expose a zero-filled tail after a
 * crash, and an all-zero header would otherwise pass the CRC of an empty payload). Scanning
 * stops at the first bad frame: appends are strictly sequential, so anything after it was never
 * acknowledged and cannot be trusted.
 */

/** Bytes before each payload: length + CRC. */
export const FRAME_HEADER_BYTES = 8;

/** Payloads above this are refused on write and treated as corruption on read. */
export const MAX_FRAME_PAYLOAD = 64 * 1024 * 1024;

/** Frames the payloads into one contiguous buffer, so one append is one `write`. */
export function encodeFrames(payloads: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of payloads) {
    if (p.byteLength === 0 || p.byteLength > MAX_FRAME_PAYLOAD) throw new RangeError(`journal frame payload of ${p.byteLength} bytes`);
    total += FRAME_HEADER_BYTES + p.byteLength;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const p of payloads) {
    view.setUint32(off, p.byteLength, true);
    view.setUint32(off + 4, Bun.hash.crc32(p), true);
    out.set(p, off + FRAME_HEADER_BYTES);
    off += FRAME_HEADER_BYTES + p.byteLength;
  }
  return out;
}

/** Why scanning stopped before the end of the data. */
export type ScanDefect = "torn-header" | "torn-payload" | "bad-length" | "crc-mismatch";

export interface ScanResult {
  /** Payloads of the intact frames, in file order (views into the scanned buffer). */
  payloads: Uint8Array[];
  /** Bytes covered by intact frames. */
  validBytes: number;
  /** Set when trailing bytes were ignored. */
  defect?: { kind: ScanDefect; offset: number; ignoredBytes: number };
}

/** Splits a segment's bytes into intact frames, stopping at the first torn or corrupt one. */
export function scanFrames(data: Uint8Array): ScanResult {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const payloads: Uint8Array[] = [];
  let off = 0;
  const stop = (kind: ScanDefect): ScanResult => ({
    payloads,
    validBytes: off,
    defect: { kind, offset: off, ignoredBytes: data.byteLength - off },
  });
  while (off < data.byteLength) {
    if (data.byteLength - off < FRAME_HEADER_BYTES) return stop("torn-header");
    const length = view.getUint32(off, true);
    const crc = view.getUint32(off + 4, true);
    if (length === 0 || length > MAX_FRAME_PAYLOAD) return stop("bad-length");
    const start = off + FRAME_HEADER_BYTES;
    if (start + length > data.byteLength) return stop("torn-payload");
    const payload = data.subarray(start, start + length);
    if (Bun.hash.crc32(payload) !== crc) return stop("crc-mismatch");
    payloads.push(payload);
    off = start + length;
  }
  return { payloads, validBytes: off };
}
