/**
 * The raw baseline of an HTTP benchmark: a bare Bun.serve answering every request with the body
 * and headers of a response captured from the server under test. A route whose contract sends
 * headers (the request id, rate-limit and credit headers) pays for writing them, and the load
 * generator for reading them, in every round trip: on a 2-core machine seven such headers alone
 * cost a bare server 15-20 % of its requests per second. A baseline without them measures those
 * bytes as if they were the stack's overhead, so each target is compared with a twin that sends
 * the same bytes; the body-only baseline is still printed next to it.
 */
export interface RawTwin {
  url: string;
  stop(): void;
}

/** Bun sets these itself on every response. */
const OWN = new Set(["date", "content-length"]);

/** Serves `body` with `headers` (a captured response's, minus Bun's own) on a local port. */
export function rawTwin(body: string, headers: Headers | Record<string, string>): RawTwin {
  const kept: Record<string, string> = {};
  for (const [k, v] of headers instanceof Headers ? headers.entries() : Object.entries(headers)) if (!OWN.has(k.toLowerCase())) kept[k] = v;
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(body, { headers: kept }) });
  return { url: `http://127.0.0.1:${server.port}/`, stop: () => server.stop(true) };
}

/** A captured response: its body and headers. */
export interface Captured {
  body: string;
  headers: Headers | Record<string, string>;
}

/**
 * The baselines of the orderbook benches, as their first three targets (`baseline: -1`): the body
 * alone, and twins of a keyed and of an open response. A target compared with them names its
 * same-response baseline by index: 1 (keyed) or 2 (open).
 */
export function rawBaselines(keyed: Captured, open: Captured) {
  const twins = [
    { name: "raw Bun.serve (same body)", twin: rawTwin(open.body, { "content-type": "application/json" }) },
    { name: "raw, same keyed response", twin: rawTwin(keyed.body, keyed.headers) },
    { name: "raw, same open response", twin: rawTwin(open.body, open.headers) },
  ];
  return {
    targets: twins.map((t) => ({ name: t.name, url: t.twin.url, baseline: -1 })),
    stop: () => twins.forEach((t) => t.twin.stop()),
  };
}

/** What a result line says after its rate: baselines against the body alone, the rest against both. */
export function comparedWith(i: number, baseline: number, ratio: (i: number, b: number) => string): string {
  if (i === 0) return "";
  return baseline < 0 ? `   vs body only ${ratio(i, 0)}` : `   vs the same response ${ratio(i, baseline)}; vs body only ${ratio(i, 0)}`;
}
