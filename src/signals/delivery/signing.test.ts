import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { buildSignalPayload } from "./payload.ts";
import { webhookHeaders } from "./signing.ts";

const signal = {
  id: "sig_0123456789abcdef01234567", name: "ETH above 4k", venue: "lighter", marketId: 0,
  rule: { conditions: [{ field: "trade_price" as const, op: "gt" as const, value: 4000 }], logic: "AND" as const },
};

describe("webhook signing", () => {
  // The verifier checks the timestamp against its own wall clock, so the attempt is signed "now".
  const at = Date.now();
  const body = buildSignalPayload({ signal, firedAt: at - 5, values: { trade_price: "4001.5" }, test: false, now: at });
  const secret = "a-receiver-secret-of-32-chars!!!";

  test("the standardwebhooks package verifies the request in raw-secret mode and returns the payload", () => {
    const headers = webhookHeaders({ id: "msg_00000000000000000000000a", at, body, secret });
    const payload = new Webhook(secret, { format: "raw" }).verify(body, headers);
    expect(payload).toEqual(JSON.parse(body));
    expect(headers["webhook-id"]).toBe("msg_00000000000000000000000a");
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(at / 1000)));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["user-agent"]).toMatch(/^Hyperlight-Webhooks\//);
  });

  test("the same key in the library's default whsec_ form (base64 of the secret's bytes) verifies too", () => {
    const headers = webhookHeaders({ id: "msg_00000000000000000000000b", at, body, secret });
    const whsec = `whsec_${Buffer.from(secret, "utf8").toString("base64")}`;
    expect(() => new Webhook(whsec).verify(body, headers)).not.toThrow();
  });

  test("a non-ASCII secret is keyed by its UTF-8 bytes", () => {
    const unicode = "clé-secrète-ünïcödé-🔑";
    const headers = webhookHeaders({ id: "msg_00000000000000000000000c", at, body, secret: unicode });
    expect(() => new Webhook(new TextEncoder().encode(unicode), { format: "raw" }).verify(body, headers)).not.toThrow();
  });

  test("a changed body, id, timestamp or secret fails verification", () => {
    const headers = webhookHeaders({ id: "msg_00000000000000000000000d", at, body, secret });
    const wh = new Webhook(secret, { format: "raw" });
    expect(() => wh.verify(body.replace("4001.5", "4001.6"), headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, "webhook-id": "msg_00000000000000000000000e" })).toThrow();
    expect(() => wh.verify(body, { ...headers, "webhook-timestamp": String(Math.floor(at / 1000) - 1) })).toThrow();
    expect(() => new Webhook(`${secret}x`, { format: "raw" }).verify(body, headers)).toThrow();
  });

  test("X-Hyperlight-Signature is the hex HMAC-SHA256 of the body alone", () => {
    const headers = webhookHeaders({ id: "msg_00000000000000000000000f", at, body, secret });
    const expected = createHmac("sha256", secret).update(body).digest("hex");
    expect(headers["x-hyperlight-signature"]).toBe(`sha256=${expected}`);
  });
});

describe("webhook payload", () => {
  test("a firing and a test event share one shape; values stay decimal strings", () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 1);
    const fired = JSON.parse(buildSignalPayload({ signal, firedAt: now - 1_000, values: { trade_price: "4000.10" }, test: false, now }));
    expect(fired).toEqual({
      type: "signal.fired",
      timestamp: "2026-01-01T00:00:01.000Z",
      data: {
        signal_id: signal.id, signal_name: "ETH above 4k", venue: "lighter", market_id: 0, fired_at: now - 1_000,
        values: { trade_price: "4000.10" }, rule: signal.rule, test: false,
      },
    });
    const probe = JSON.parse(buildSignalPayload({ signal, firedAt: now, values: {}, test: true, now }));
    expect(probe.type).toBe("signal.test");
    expect(probe.data.test).toBe(true);
  });
});
