/**
 * Hostile webhook URLs against a canary listener on loopback, through the real outbox and worker.
 * URLs are stored as given (the creation-time check is bypassed on purpose) so the delivery-time
 * defence is what is tested: nothing reaches the canary unless the operator's allow-list lets it,
 * and odd spellings, credentials and non-allow-listed ranges stay refused even then.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { type HostResolver, checkWebhookUrl, createDeliveryWorker, createOutbox, deliveryConfig } from "../../src/signals/delivery/index.ts";
import type { SignalRecord } from "../../src/store/signals.port.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { waitFor } from "../contract/wait.ts";

const SECRET = "ssrf-test-secret-0123456789";

let canary: ReturnType<typeof Bun.serve>;
const reached: string[] = [];
beforeAll(() => {
  canary = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => (reached.push(new URL(req.url).pathname), new Response("canary")) });
});
afterAll(() => canary.stop(true));

/** [name, URL (PORT = the canary's), reaches the canary with 127.0.0.1 allow-listed]. */
const CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ["decimal IPv4", "http://2130706433:PORT/decimal", false],
  ["hex IPv4", "http://0x7f.0.0.1:PORT/hex", false],
  ["octal IPv4", "http://0177.0.0.1:PORT/octal", false],
  ["short IPv4", "http://127.1:PORT/short", false],
  ["userinfo", "http://user:pw@127.0.0.1:PORT/userinfo", false],
  ["IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.1]:PORT/mapped", true],
  ["IPv6 loopback", "http://[::1]:PORT/v6-loopback", false],
  ["cloud metadata", "http://169.254.169.254:PORT/metadata", false],
  ["CGNAT", "http://100.64.0.1:PORT/cgnat", false],
  ["plain loopback", "http://127.0.0.1:PORT/plain", true],
  ["a name resolving to 127.0.0.1", "http://loopback.example.com:PORT/by-name", true],
  ["a name answering public, then 127.0.0.1", "http://rebind.example.com:PORT/rebind", true],
];

async function run(allowHosts: string) {
  const lookups = new Map<string, number>();
  const resolver: HostResolver = async (host) => {
    const n = lookups.get(host) ?? 0;
    lookups.set(host, n + 1);
    if (host === "loopback.example.com") return [{ address: "127.0.0.1", family: 4 }];
    // DNS rebinding: a public address on the first lookup, loopback on every later one.
    if (host === "rebind.example.com") return [{ address: n === 0 ? "93.184.215.14" : "127.0.0.1", family: 4 }];
    throw new Error(`ENOTFOUND ${host}`);
  };
  const config = loadConfig({ WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_RETRY_BASE_MS: "10", WEBHOOK_TIMEOUT_MS: "300", ...(allowHosts ? { WEBHOOK_ALLOW_HOSTS: allowHosts } : {}) });
  const store = await openSqliteStore({ path: ":memory:" });
  await store.migrate();
  const worker = createDeliveryWorker({ store: store.signals, clock: systemClock, log: silentLogger(), workerId: "ssrf", resolver, ...deliveryConfig(config) });
  const outbox = createOutbox({ store: store.signals, clock: systemClock, worker });
  reached.length = 0;
  try {
    worker.start();
    const signals: SignalRecord[] = [];
    for (const [name, url] of CASES) {
      const s = await store.signals.create({
        userId: "usr_ssrf", name, venue: "lighter", marketId: 0, cooldownSecs: 0, enabled: true,
        rule: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "AND" },
        channels: [{ type: "webhook", url: url.replace("PORT", String(canary.port)), secret: SECRET }],
      }, systemClock.now());
      signals.push(s);
      await outbox.fire(s, { signalId: s.id, venue: s.venue, marketId: s.marketId, ts: systemClock.now(), values: {} });
    }
    const rows = async () => (await Promise.all(signals.map((s) => store.signals.listDeliveries(s.userId, s.id, { limit: 1, offset: 0 })))).map((p) => p.rows[0]!);
    await waitFor("every hostile delivery to settle", async () => (await rows()).every((d) => d.status !== "pending"), { timeoutMs: 20_000 });
    return { deliveries: await rows(), lookups, reached: [...reached] };
  } finally {
    await worker.stop(1_000);
    await store.close();
  }
}

describe("SSRF defence at delivery", () => {
  test("without an allow-list no hostile URL reaches the canary; each is refused, the rebinding name on its second lookup", async () => {
    const r = await run("");
    expect(r.reached).toEqual([]);
    for (const [i, d] of r.deliveries.entries()) {
      expect({ name: CASES[i]![0], status: d.status }).toEqual({ name: CASES[i]![0], status: "failed" });
      expect(d.lastError).toContain("refused");
    }
    // The rebinding name was resolved once per attempt: public (attempt 1 fails to connect), then loopback (refused).
    expect(r.lookups.get("rebind.example.com")).toBe(2);
    expect(r.lookups.get("loopback.example.com")).toBe(1);
  }, 30_000);

  test("with 127.0.0.1 allow-listed, exactly the canonical loopback targets reach it", async () => {
    const r = await run("127.0.0.1");
    const expected = CASES.filter(([, , reaches]) => reaches).map(([, url]) => new URL(url.replace("PORT", "1")).pathname);
    expect(r.reached.sort()).toEqual(expected.sort());
    for (const [i, d] of r.deliveries.entries()) {
      expect({ name: CASES[i]![0], status: d.status }).toEqual({ name: CASES[i]![0], status: CASES[i]![2] ? "delivered" : "failed" });
    }
  }, 30_000);

  test("the creation-time check refuses every literal form outright; names are left to the delivery-time lookup", () => {
    const policy = deliveryConfig(loadConfig({ WEBHOOK_ALLOW_HTTP: "true" })).policy;
    const verdicts = CASES.map(([name, url]) => [name, checkWebhookUrl(url.replace("PORT", "8080"), policy).ok]);
    expect(verdicts.filter(([, ok]) => ok).map(([name]) => name)).toEqual(["a name resolving to 127.0.0.1", "a name answering public, then 127.0.0.1"]);
  });
});
