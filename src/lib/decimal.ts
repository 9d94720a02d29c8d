/**
 * Fixed-point decimals. Prices and sizes live inside the engine as integers in venue units
 * (price × 10^price_decimals, size × 10^size_decimals) and cross the wire as decimal strings.
 * Nothing here rounds through a binary float: number arithmetic is used only where every value is
 * a safe integer (checked), and bigints past that.
 */

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string into an integer scaled by 10^decimals. Digits past `decimals` are
 * truncated toward zero (venues pad, they do not exceed their precision). Returns null for
 * anything that is not a plain decimal.
 */
export function parseScaled(text: string, decimals: number): bigint | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const [, sign, whole, frac = ""] = m;
  const fracPart = frac.slice(0, decimals).padEnd(decimals, "0");
  const value = BigInt((whole ?? "0") + fracPart);
  return sign === "-" ? -value : value;
}

/** Like `parseScaled` but returns a safe integer number; throws if it does not fit. */
export function parseScaledNumber(text: string, decimals: number): number {
  const value = parseScaled(text, decimals);
  if (value === null) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`decimal out of range: ${text}`);
  return n;
}

/** Formats an integer scaled by 10^decimals as a decimal string padded to `decimals` places. */
export function formatScaled(value: bigint | number, decimals: number): string {
  if (typeof value === "number" && Number.isSafeInteger(value)) return formatUnits(value, decimals);
  let v = typeof value === "bigint" ? value : BigInt(value);
  const negative = v < 0n;
  if (negative) v = -v;
  let digits = v.toString();
  if (decimals === 0) return (negative ? "-" : "") + digits;
  digits = digits.padStart(decimals + 1, "0");
  const cut = digits.length - decimals;
  return (negative ? "-" : "") + digits.slice(0, cut) + "." + digits.slice(cut);
}

/**
 * `formatScaled` of a safe integer without a BigInt: the per-value formatter of hot paths (order
 * book frames, candle and trade rows). `String(n)` of a safe integer never uses exponent notation.
 */
export function formatUnits(value: number, decimals: number): string {
  if (decimals === 0) return String(value);
  const negative = value < 0;
  let digits = String(negative ? -value : value);
  if (digits.length <= decimals) digits = "0".repeat(decimals + 1 - digits.length) + digits;
  const cut = digits.length - decimals;
  return (negative ? "-" : "") + digits.slice(0, cut) + "." + digits.slice(cut);
}

/** Rescales an integer from one number of decimals to another, rounding half away from zero. */
export function rescale(value: bigint, from: number, to: number): bigint {
  if (to >= from) return value * 10n ** BigInt(to - from);
  const div = 10n ** BigInt(from - to);
  const half = div / 2n;
  return value >= 0n ? (value + half) / div : -((-value + half) / div);
}

/** Integer division rounding half away from zero. */
export function divRound(num: bigint, den: bigint): bigint {
  if (den === 0n) throw new RangeError("division by zero");
  const negative = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const q = (n + d / 2n) / d;
  return negative ? -q : q;
}

/**
 * Parses a venue decimal string into an integer scaled by 10^decimals, digits past `decimals`
 * truncated toward zero — the same result as `parseScaledNumber`, without a regex or BigInt on
 * the common path. Throws RangeError on anything that is not a plain decimal or does not fit.
 */
export function scaledInt(text: string, decimals: number): number {
  const len = text.length;
  let i = 0;
  let negative = false;
  if (len > 0 && text.charCodeAt(0) === 45 /* - */) {
    negative = true;
    i = 1;
  }
  let n = 0;
  let frac = -1; // digits taken after the point; -1 while in the integer part
  let digits = 0;
  for (; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (frac >= 0) return parseScaledNumber(text, decimals);
      frac = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return parseScaledNumber(text, decimals);
    digits++;
    if (frac >= 0) {
      if (frac === decimals) continue;
      frac++;
    }
    n = n * 10 + d;
  }
  if (digits === 0) return parseScaledNumber(text, decimals);
  for (let f = frac < 0 ? 0 : frac; f < decimals; f++) n *= 10;
  if (!Number.isSafeInteger(n)) return parseScaledNumber(text, decimals);
  return negative && n !== 0 ? -n : n;
}

/** Exact price × size in price × size units, as a decimal string with priceDecimals + sizeDecimals places. */
export function formatNotional(price: number, size: number, decimals: number): string {
  const product = price * size;
  // Below 2^53 the float product is exact; above it, take the exact bigint route.
  return Number.isSafeInteger(product) ? formatUnits(product, decimals) : formatScaled(BigInt(price) * BigInt(size), decimals);
}
