/**
 * A growable byte buffer for writing JSON without building intermediate strings or objects: the
 * hot paths that emit thousands of rows (candles) write digits straight into bytes.
 */

import { formatScaled } from "./decimal";

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** "00".."99" as ASCII byte pairs: digits are written two at a time. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));
const CHUNK = 100_000_000;

/** Number of decimal digits of 0 ≤ x < 10^8. */
const digitCount = (x: number): number =>
  x < 10 ? 1 : x < 100 ? 2 : x < 1_000 ? 3 : x < 10_000 ? 4 : x < 100_000 ? 5 : x < 1_000_000 ? 6 : x < 10_000_000 ? 7 : 8;

/**
 * ASCII JSON written straight into a byte buffer. Numbers become digits in place, with no string
 * per value: the encoder behind 10,000-row responses (measured: about twice as fast as building
 * strings). Integers must be safe integers. Digits come from int32 chunks of 8, two at a time:
 * `%` on integers past 2^31 is a floating-point remainder, and slow.
 */
export class JsonBytes {
  private buf: Uint8Array;
  private pos = 0;
  // Results of `split`, kept in fields so the hot path allocates nothing.
  private quotient = 0;
  private remainder = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
  }

  /** Constant bytes (a loop beats `set`, a native call, up to about a kilobyte; `set` wins beyond). */
  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    const buf = this.buf;
    let p = this.pos;
    if (bytes.length > 1024) {
      buf.set(bytes, p);
      this.pos = p + bytes.length;
      return;
    }
    for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i] as number;
    this.pos = p;
  }

  /** ASCII text as is (JSON punctuation, or a string already JSON-encoded). */
  text(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A safe integer as a JSON number. */
  int(n: number): void {
    this.room(18);
    if (n < 0) {
      this.buf[this.pos++] = 45; // -
      n = -n;
    }
    this.uint(n, 0);
  }

  /** A safe integer scaled by 10^decimals as a quoted decimal string, like `formatScaled`. */
  fixed(n: number, decimals: number): void {
    this.room(22 + decimals);
    this.buf[this.pos++] = 34; // "
    if (n < 0) {
      this.buf[this.pos++] = 45;
      n = -n;
    }
    if (decimals === 0) {
      this.uint(n, 0);
    } else {
      this.split(n, POW10[decimals] ?? 10 ** decimals);
      const frac = this.remainder;
      this.uint(this.quotient, 0);
      this.buf[this.pos++] = 46; // .
      this.uint(frac, decimals);
    }
    this.buf[this.pos++] = 34;
  }

  /** A bigint scaled by 10^decimals as a quoted decimal string. */
  fixedBig(v: bigint, decimals: number): void {
    const n = Number(v);
    // Exact when safe; a value past 2^53 converts to at least 2^53, so it is never taken for safe.
    if (Number.isSafeInteger(n)) this.fixed(n, decimals);
    else this.text(`"${formatScaled(v, decimals)}"`);
  }

  /** ⌊a / b⌋ for non-negative safe integers a and b > 0, exact (the float quotient is corrected). */
  floorDiv(a: number, b: number): number {
    this.split(a, b);
    return this.quotient;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A non-negative safe integer, left-padded with zeros to `width` digits. */
  private uint(n: number, width: number): void {
    if (n < CHUNK) return this.chunk(n, width);
    this.split(n, CHUNK);
    const low = this.remainder;
    this.chunk(this.quotient, width - 8);
    this.chunk(low, 8);
  }

  /** 0 ≤ x < 10^8 (an int32), left-padded to `width` digits. */
  private chunk(x: number, width: number): void {
    const len = Math.max(digitCount(x), width);
    const buf = this.buf;
    let p = this.pos + len;
    this.pos = p;
    let left = len;
    for (; left >= 2; left -= 2) {
      const q = (x / 100) | 0;
      const pair = (x - q * 100) << 1;
      buf[--p] = DIGIT_PAIRS[pair + 1] as number;
      buf[--p] = DIGIT_PAIRS[pair] as number;
      x = q;
    }
    if (left === 1) buf[--p] = 48 + x;
  }

  /** quotient, remainder ← ⌊n / d⌋, n mod d. */
  private split(n: number, d: number): void {
    let q = Math.floor(n / d);
    let r = n - q * d;
    if (r < 0) {
      q--;
      r += d;
    } else if (r >= d) {
      q++;
      r -= d;
    }
    this.quotient = q;
    this.remainder = r;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}
