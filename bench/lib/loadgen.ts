export {};
/**
 * A closed-loop HTTP load generator run as its own process (so it does not share the server's
 * event loop): `connections` keep-alive loops each send a request, await the full body, repeat.
 * Prints one JSON line: {requests, errors, seconds, rps, p50_ms, p99_ms}.
 *
 *   bun bench/lib/loadgen.ts <url> <connections> <seconds> [header:value ...]
 *
 * A header given several times is sent with each of its values in turn (request after request),
 * e.g. many API keys so that no single key's rate limit binds.
 */
const [url, connArg = "64", secArg = "5", ...headerArgs] = process.argv.slice(2);
if (!url) {
  console.error("usage: loadgen <url> <connections> <seconds> [header:value ...]");
  process.exit(2);
}
const connections = Number(connArg);
const seconds = Number(secArg);
const values = new Map<string, string[]>();
for (const h of headerArgs) {
  const i = h.indexOf(":");
  if (i > 0) values.set(h.slice(0, i), [...(values.get(h.slice(0, i)) ?? []), h.slice(i + 1)]);
}
// Built once: rotating must not cost the generator more CPU than a fixed header (they share cores).
const variants = Math.max(1, ...[...values.values()].map((v) => v.length));
const headerSets = Array.from({ length: variants }, (_, n) => Object.fromEntries([...values].map(([k, v]) => [k, v[n % v.length]!])));
let sent = 0;
/** The headers of the next request. */
const nextHeaders = (): Record<string, string> => headerSets[sent++ % variants]!;

const MAX_SAMPLES = 2_000_000;
const samples = new Float64Array(MAX_SAMPLES);
let count = 0;
let errors = 0;
const deadline = performance.now() + seconds * 1000;

async function loop() {
  while (performance.now() < deadline) {
    const t0 = performance.now();
    try {
      const res = await fetch(url!, { headers: nextHeaders() });
      await res.arrayBuffer();
      if (res.status >= 500) errors++;
    } catch {
      errors++;
    }
    if (count < MAX_SAMPLES) samples[count] = performance.now() - t0;
    count++;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: connections }, loop));
const elapsed = (performance.now() - started) / 1000;
const sorted = samples.subarray(0, Math.min(count, MAX_SAMPLES)).sort();
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
console.log(JSON.stringify({ requests: count, errors, seconds: elapsed, rps: count / elapsed, p50_ms: pct(0.5), p99_ms: pct(0.99) }));
