/**
 * The Bun-native fast path of GET /api/v1/orderbook/:market_id (src/http/fast-orderbook.ts) must
 * answer exactly as the Elysia route does. Two identical environments — same clock, same book, keys
 * in the same states — are started, one with the fast path and one without; every request of the
 * table goes to both, in the same order, and the answers must be equal: status, every header but
 * Date, and the body, with only the generated request id told apart (timestamps agree: both run on
 * the same simulated time). The request log lines and the key's usage must agree too, and the
 * requests the fast path claims to take must never reach Elysia there.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fastOrderbook } from "../../src/http/fast-orderbook";
import { Metrics } from "../../src/http/metrics";
import { OrderbookService } from "../../src/http/routes/orderbook/service";
import { ManualClock } from "../../src/lib/clock";
import { silentLogger } from "../../src/lib/log";
import { formatScaled } from "../../src/lib/decimal";
import { createLiveMarkets, type LiveBook, type MarketInfo } from "../../src/market/live";
import { startIdentityApp, type IdentityApp } from "../support/identity";

const VENUE = "lighter";
const NOW = Date.UTC(2026, 4, 10, 12, 0, 30);

const market = (marketId: number, symbol: string): MarketInfo => ({
  venue: VENUE, marketId, symbol, priceDecimals: 2, sizeDecimals: 4, status: "active",
  minInitialMarginFraction: 500, maintenanceMarginFraction: 300, closeoutMarginFraction: 200,
});
const levels = (from: number, step: number) => Array.from({ length: 120 }, (_, i) => ({ price: formatScaled(from + i * step, 2), size: formatScaled(10_000 + i * 7, 4) }));
const BOOK: LiveBook = {
  market_id: 0, bids: levels(319_950, -50), asks: levels(320_000, 50), best_bid: "3199.50", best_ask: "3200.00", spread: "0.50", mid: "3199.750",
  nonce: 777, timestamp: NOW - 40,
};

type KeyName = "valid" | "revoked" | "expired" | "disabled" | "wrongIp" | "free" | "capped";

interface Env {
  h: IdentityApp;
  clock: ManualClock;
  keys: Record<KeyName, string>;
  validKeyId: string;
  ownerJwt: string;
  /** Requests that reached the Elysia app. */
  elysiaSeen: () => number;
}

async function environment(fastPaths: boolean): Promise<Env> {
  const clock = new ManualClock(NOW);
  let seen = 0;
  const h = await startIdentityApp({ clock, marketData: true, fastPaths, routes: (app) => void app.onRequest(() => void seen++) });
  const live = createLiveMarkets(h.cache);
  await live.putMarkets(VENUE, [market(0, "ETH"), market(2, "SOL")]); // SOL is listed but has no book
  const owner = await h.register();
  await h.identity.admin.setPlan(owner.userId, "enterprise", { via: "cli" });
  const jwt = { authorization: `Bearer ${owner.token}` };
  const newKey = async (body: Record<string, unknown>) => {
    const r = await h.call("POST", "/api/v1/keys", { headers: jwt, body: { name: "fast", ...body } });
    expect(r.status).toBe(201);
    return r.body.data as { api_key: string; key: { id: string } };
  };
  const valid = await newKey({ tier: "enterprise" });
  const revoked = await newKey({});
  expect((await h.call("DELETE", `/api/v1/keys/${revoked.key.id}`, { headers: jwt })).status).toBe(200);
  const expired = await newKey({ expires_at: clock.now() + 60_000 });
  const disabled = await newKey({});
  expect((await h.call("PATCH", `/api/v1/keys/${disabled.key.id}`, { headers: jwt, body: { enabled: false } })).status).toBe(200);
  const wrongIp = await newKey({ allowed_ips: ["203.0.113.7"] });
  const free = await h.register(); // Free: 30 requests per minute
  const capped = await h.register();
  const month = "2026-05";
  await h.store.identity.debitCredits({ userId: capped.userId, month, cost: 100_000, cap: null });
  await h.identity.meter.flush();
  clock.advance(61_000); // the expiring key is now expired
  await live.putBook(VENUE, BOOK); // after the clock moved: live books expire within seconds
  return {
    h, clock, validKeyId: valid.key.id, ownerJwt: owner.token, elysiaSeen: () => seen,
    keys: { valid: valid.api_key, revoked: revoked.api_key, expired: expired.api_key, disabled: disabled.api_key, wrongIp: wrongIp.api_key, free: free.apiKey, capped: capped.apiKey },
  };
}

interface Case {
  name: string;
  path: string;
  /** Key to send, and how. */
  key?: KeyName;
  via?: "header" | "bearer" | "query";
  headers?: Record<string, string>;
  method?: string;
  /** Elysia answers it (the fast path hands it over untouched). */
  delegated?: boolean;
}

const OB = "/api/v1/orderbook";
const INCOMING_ID = "0B4C9E3A-1D2F-4A5B-8C6D-7E8F9A0B1C2D";
const CASES: Case[] = [
  { name: "valid key", path: `${OB}/0`, key: "valid" },
  { name: "depth=5", path: `${OB}/0?depth=5`, key: "valid" },
  { name: "depth=500", path: `${OB}/0?depth=500`, key: "valid" },
  { name: "incoming x-request-id", path: `${OB}/0`, key: "valid", headers: { "x-request-id": INCOMING_ID } },
  { name: "invalid x-request-id is replaced", path: `${OB}/0`, key: "valid", headers: { "x-request-id": "not-a-uuid" } },
  { name: "?api_key= form", path: `${OB}/0`, key: "valid", via: "query" },
  { name: "?api_key= with depth", path: `${OB}/0?depth=3`, key: "valid", via: "query" },
  { name: "Bearer key", path: `${OB}/0`, key: "valid", via: "bearer" },
  { name: "unknown market", path: `${OB}/42`, key: "valid" },
  { name: "listed market without a book", path: `${OB}/2`, key: "valid" },
  { name: "missing key", path: `${OB}/0` },
  { name: "malformed key", path: `${OB}/0`, headers: { "x-api-key": "hlt_123" } },
  { name: "unknown key", path: `${OB}/0`, headers: { "x-api-key": `hlt_${"0".repeat(48)}` } },
  { name: "revoked key", path: `${OB}/0`, key: "revoked" },
  { name: "expired key", path: `${OB}/0`, key: "expired" },
  { name: "disabled key", path: `${OB}/0`, key: "disabled" },
  { name: "key from a wrong IP", path: `${OB}/0`, key: "wrongIp" },
  { name: "a JWT instead of a key", path: `${OB}/0`, headers: { authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln" } },
  { name: "credits exhausted", path: `${OB}/0`, key: "capped" },
  { name: "bad market id", path: `${OB}/abc`, key: "valid", delegated: true },
  { name: "non-canonical market id", path: `${OB}/007`, key: "valid", delegated: true },
  { name: "bad market id without a key", path: `${OB}/abc`, delegated: true },
  { name: "depth=0", path: `${OB}/0?depth=0`, key: "valid", delegated: true },
  { name: "depth=501", path: `${OB}/0?depth=501`, key: "valid", delegated: true },
  { name: "depth twice", path: `${OB}/0?depth=5&depth=6`, key: "valid", delegated: true },
  { name: "unknown query parameter", path: `${OB}/0?foo=1`, key: "valid", delegated: true },
  { name: "HEAD", path: `${OB}/0`, key: "valid", method: "HEAD", delegated: true },
  { name: "POST", path: `${OB}/0`, key: "valid", method: "POST", delegated: true },
  // The rate limit last but one: 30 admitted, then 429 with Retry-After (never a credit taken).
  ...Array.from({ length: 31 }, (_, i): Case => ({ name: `free key #${i + 1}`, path: `${OB}/0`, key: "free" })),
  { name: "valid key after the others", path: `${OB}/0?depth=1`, key: "valid" },
];

interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

async function send(env: Env, c: Case): Promise<Answer> {
  const headers: Record<string, string> = { ...c.headers };
  let path = c.path;
  if (c.key) {
    const key = env.keys[c.key];
    if (c.via === "bearer") headers.authorization = `Bearer ${key}`;
    else if (c.via === "query") path += `${path.includes("?") ? "&" : "?"}api_key=${key}`;
    else headers["x-api-key"] = key;
  }
  const res = await fetch(env.h.url + path, { method: c.method ?? "GET", headers });
  const id = res.headers.get("x-request-id") ?? "<none>";
  const body = (await res.text()).replaceAll(id, "<request-id>");
  const generated = c.headers?.["x-request-id"] !== INCOMING_ID;
  const list = [...res.headers.entries()]
    .filter(([k]) => k !== "date")
    .map(([k, v]): [string, string] => [k, k === "x-request-id" && generated ? "<request-id>" : v])
    .sort((a, b) => a[0].localeCompare(b[0]));
  return { status: res.status, headers: list, body };
}

let fast: Env;
let elysia: Env;
const answers: Array<{ c: Case; fast: Answer; elysia: Answer; reachedElysia: boolean }> = [];

beforeAll(async () => {
  fast = await environment(true);
  elysia = await environment(false);
  for (const c of CASES) {
    const before = fast.elysiaSeen();
    const a = await send(fast, c);
    const b = await send(elysia, c);
    answers.push({ c, fast: a, elysia: b, reachedElysia: fast.elysiaSeen() > before });
  }
});
afterAll(async () => {
  await fast?.h.close();
  await elysia?.h.close();
});

describe("GET /api/v1/orderbook/:market_id fast path", () => {
  test("answers every request of the table exactly as the Elysia route does", () => {
    for (const a of answers) expect({ case: a.c.name, ...a.fast }).toEqual({ case: a.c.name, ...a.elysia });
  });

  test("the table covers what it claims: successes, each refusal and the rate limit", () => {
    const status = (name: string) => answers.find((a) => a.c.name === name)!.fast.status;
    expect(status("valid key")).toBe(200);
    expect(status("?api_key= form")).toBe(200);
    expect(status("unknown market")).toBe(404);
    expect(status("listed market without a book")).toBe(503);
    expect([status("missing key"), status("malformed key"), status("unknown key"), status("revoked key"), status("a JWT instead of a key")]).toEqual([401, 401, 401, 401, 401]);
    expect([status("expired key"), status("disabled key"), status("key from a wrong IP")]).toEqual([403, 403, 403]);
    expect(status("credits exhausted")).toBe(402);
    expect([status("bad market id"), status("depth=0"), status("depth=501")]).toEqual([400, 400, 400]);
    expect(status("unknown query parameter")).toBe(200); // ignored by the route, answered by Elysia
    const book = JSON.parse(answers.find((a) => a.c.name === "depth=5")!.fast.body) as { data: { bids: unknown[]; nonce: number } };
    expect([book.data.bids.length, book.data.nonce]).toEqual([5, BOOK.nonce]);
    expect([status("free key #30"), status("free key #31")]).toEqual([200, 429]);
    const incoming = answers.find((a) => a.c.name === "incoming x-request-id")!.fast;
    expect(incoming.headers).toContainEqual(["x-request-id", INCOMING_ID.toLowerCase()]);
  });

  test("requests of the fast path's shape never reach Elysia; every other one is handed over", () => {
    const wrong = answers.filter((a) => a.reachedElysia !== Boolean(a.c.delegated)).map((a) => a.c.name);
    expect(wrong).toEqual([]);
  });

  test("the request log and the key's usage are the same on both paths", async () => {
    // Usage first: Elysia writes its log line after the response is sent, and this round trip
    // lets the last table request's line land before the logs are read.
    const usage = async (env: Env) =>
      (await env.h.call("GET", `/api/v1/keys/${env.validKeyId}/usage`, { headers: { authorization: `Bearer ${env.ownerJwt}` } })).body.data.totals;
    const totals = await usage(fast);
    expect(totals).toMatchObject({ requests: CASES.filter((c) => c.key === "valid" && c.method !== "POST").length });
    expect(totals).toEqual(await usage(elysia));
    const requestLines = async (env: Env) => {
      await env.h.flushLogs();
      return env.h.logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === "request" && String(l.route).startsWith(OB))
        .map((l) => [l.method, l.route, l.status, l.key_id === undefined ? "-" : "key", Object.keys(l).join(",")]);
    };
    const lines = await requestLines(fast);
    // POST has no route here: Elysia logs it as unmatched.
    expect(lines.length).toBe(CASES.filter((c) => c.method !== "POST").length);
    expect(lines).toEqual(await requestLines(elysia));
  });
});

describe("GET /api/v1/orderbook/:market_id fast path, warm and cold", () => {
  // The handler the app installs, called directly: a request whose key, credits and book are all
  // in memory is answered at once (a Response, not a Promise); one that needs a store read waits
  // for it and answers the same.
  test("a warm request is answered without a promise; a key not yet looked up waits for its read", async () => {
    const env = await environment(true);
    try {
      const h = env.h;
      const handler = fastOrderbook({
        clock: env.clock, log: silentLogger(), metrics: new Metrics(), identity: h.identity, trustProxyHops: 0,
        service: new OrderbookService({ store: h.store.marketData, live: createLiveMarkets(h.cache), venue: VENUE }),
        fallback: () => new Response(null, { status: 599 }),
      });
      const peer = { requestIP: () => ({ address: "127.0.0.1" }) };
      const request = (key = env.keys.valid) => Object.assign(new Request(`http://localhost${OB}/0`, { headers: { "x-api-key": key } }), { params: { market_id: "0" } });
      h.identity.directory.invalidate({ all: true });
      const cold = handler(request(), peer);
      expect(cold).toBeInstanceOf(Promise);
      const first = await cold;
      const warm = handler(request(), peer);
      expect(warm).toBeInstanceOf(Response);
      const second = warm as Response;
      expect([first.status, second.status]).toEqual([200, 200]);
      const data = async (r: Response) => ((await r.json()) as { data: { market_id: number; bids: unknown[]; asks: unknown[] } }).data;
      const [a, b] = [await data(first), await data(second)];
      expect(a.market_id).toBe(0);
      expect(a.bids.length + a.asks.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
      expect(second.headers.get("x-credits-cost")).toBe("1");
      // A refusal decided from memory is answered at once too, with its error status.
      await handler(request(env.keys.capped), peer);
      const refused = handler(request(env.keys.capped), peer);
      expect(refused).toBeInstanceOf(Response);
      expect((refused as Response).status).toBe(402);
    } finally {
      await env.h.close();
    }
  });
});
