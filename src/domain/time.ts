/**
 * Time parameters and bar alignment. Everything is UTC and in ms since the epoch; nothing here reads
 * the clock. UTC has no DST, so every resolution is a fixed number of ms and alignment is arithmetic.
 */
import type { CandleResolution } from "../store/ports.ts";

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

/** Earliest time a query parameter may name: 2000-01-01T00:00:00.000Z. */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);
/** Latest time a query parameter may name, inclusive: 2100-01-01T00:00:00.000Z. */
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);

/**
 * Origin of the weekly grid: Monday 1970-01-05T00:00Z. The epoch itself was a Thursday, so weeks
 * aligned to 0 would start on Thursdays.
 */
export const WEEK_ORIGIN_MS = 4 * DAY_MS;

/** Candle resolutions, finest first. */
export const CANDLE_RESOLUTIONS: readonly CandleResolution[] = ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"];

/** Length of one bar of each candle resolution. */
export const RESOLUTION_MS: Readonly<Record<CandleResolution, number>> = Object.freeze({
  "1m": MINUTE_MS,
  "5m": 5 * MINUTE_MS,
  "15m": 15 * MINUTE_MS,
  "30m": 30 * MINUTE_MS,
  "1h": HOUR_MS,
  "4h": 4 * HOUR_MS,
  "1d": DAY_MS,
  "1w": WEEK_MS,
});

/** Type guard for a candle resolution coming from a query string. */
export function isCandleResolution(value: string): value is CandleResolution {
  return Object.hasOwn(RESOLUTION_MS, value);
}

/**
 * Start of the interval of length `intervalMs` containing `ts`, on the grid through `originMs`.
 * Floors toward −∞ (also for times before the origin), so the result is ≤ ts < result + intervalMs.
 */
export function alignToInterval(ts: number, intervalMs: number, originMs = 0): number {
  const rem = (ts - originMs) % intervalMs;
  // `%` keeps the dividend's sign; a negative remainder means ts lies before the origin.
  return rem < 0 ? ts - rem - intervalMs : ts - rem;
}

/**
 * Open time of the `resolution` bar containing `ts`: bars are aligned to UTC midnight multiples, and
 * weekly bars start on Monday 00:00 UTC. Idempotent: aligning an open time returns it unchanged.
 */
export function alignTime(ts: number, resolution: CandleResolution): number {
  return alignToInterval(ts, RESOLUTION_MS[resolution], resolution === "1w" ? WEEK_ORIGIN_MS : 0);
}

const UNIT_MS: Readonly<Record<string, number>> = { s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: WEEK_MS };
// Case-sensitive on purpose: "1M" reads as a month in many APIs and must not become a minute.
const INTERVAL = /^([1-9]\d{0,6})([smhdw])$/;

/**
 * Parses an aggregation interval such as "1s", "5s", "1m", "15m", "1h", "1d" or "1w" into ms.
 * Any positive count of one unit is accepted ("90s", "2h") from 1s up to 1w inclusive. Returns null
 * for zero, negatives, leading zeros, fractions, combined units ("1h30m"), upper-case units and
 * anything longer than a week.
 */
export function parseInterval(value: string): number | null {
  const m = INTERVAL.exec(value);
  if (!m) return null;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms <= WEEK_MS ? ms : null;
}

const EPOCH_MS = /^\d{1,16}$/;
// YYYY-MM-DD, optionally followed by time (minutes required, seconds and 1–9 fraction digits
// optional) and an offset. `T` or a space separates date and time (RFC 3339 allows both). A space
// where the offset sign goes is a `+` that an unencoded query string decoded to a space.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+\- ]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses a public time parameter into ms since the epoch, or null when it is not a valid time.
 *
 * Accepted:
 * - ms epoch, as a number or a string of digits (`1704067200000`, `"1704067200000"`);
 * - ISO-8601 / RFC 3339 date-times with or without seconds and fractions and with `Z` or an offset
 *   (`2024-01-01T00:00:00Z`, `2024-01-01T02:00:00.250+02:00`); a date-time without an offset is
 *   read as UTC, never as the server's local zone; fractions below 1 ms are truncated; an offset
 *   whose `+` arrived as a space (an unencoded query string) is read as `+`;
 * - a bare date `YYYY-MM-DD`, meaning 00:00 UTC of that day.
 *
 * Rejected (null): garbage, non-integer or non-finite numbers, impossible calendar values
 * (2026-02-30, 25:00, leap seconds), and times outside [2000-01-01, 2100-01-01] UTC.
 *
 * Seconds are not auto-detected: the API documents ms. A seconds value for any year in range is
 * below 5·10^9, i.e. a ms time in 1970, so the range check turns it into a clear rejection
 * rather than a silent misreading.
 */
export function parseTimeParam(value: string | number): number | null {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && inRange(value) ? value : null;
  }
  if (EPOCH_MS.test(value)) {
    const ms = Number(value);
    return inRange(ms) ? ms : null;
  }
  const m = ISO.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offset = m[8] === undefined ? 0 : parseOffsetMs(m[8]);
  if (offset === null) return null;
  // Date.UTC maps years 0–99 to 1900–1999; harmless here because all of them fail the range check.
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset;
  return inRange(ms) ? ms : null;
}

function inRange(ms: number): boolean {
  return ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** "Z", "+02", "+0530", "-05:00", " 02:00" → offset east of UTC in ms; null when out of range. */
function parseOffsetMs(text: string): number | null {
  if (text === "Z" || text === "z") return 0;
  const sign = text[0] === "-" ? -1 : 1;
  const digits = text.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * HOUR_MS + minutes * MINUTE_MS);
}
