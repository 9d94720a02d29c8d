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
