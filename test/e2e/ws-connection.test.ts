/**
 * /ws connection rules end to end (in-process service, short durations from config): the auth
 * deadline and refusals, the inbound message budget (third consecutive violation closes), the
 * heartbeat (either kind of pong keeps a socket, silence closes it), and the inbound size limit.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config";
import { startService, type RunningService } from "../../src/service";
import { tempDir } from "../support/process";
import { connectRaw, type RawWs } from "../support/raw-ws";
import { authedWs, issueKey, openWs, type WsClient } from "../support/ws-client";

const ADMIN = "admin-token-for-ws-connection-tests-012345";
const PING_MS = 200;
const PONG_MS = 500;
let svc: RunningService;
let dir: string;
let wsUrl: string;
let key: string;
const open: Array<WsClient | RawWs> = [];

beforeAll(async () => {
  dir = tempDir("ws-connection");
  svc = await startService(
    loadConfig({
      PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, LOG_LEVEL: "error", ADMIN_TOKEN: ADMIN, SEED_HOURS: "0", SEED_GUIDE_WINDOW: "false",
      WS_AUTH_TIMEOUT_MS: "300", WS_PING_INTERVAL_MS: String(PING_MS), WS_PONG_TIMEOUT_MS: String(PONG_MS), WS_MAX_MESSAGE_BYTES: "4096",
    }),
  );
  wsUrl = `${svc.url.replace("http", "ws")}/ws`;
  key = await issueKey(svc.url, ADMIN, "starter");
});

afterAll(async () => {
  for (const c of open) ("destroy" in c ? c.destroy() : c.close());
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const raw = async (opts?: { autoPong?: boolean }) => {
  const c = await connectRaw(wsUrl, opts);
  open.push(c);
  return c;
};

describe("/ws authentication", () => {
  test("no auth message within the deadline: unauthorized error, close 1008", async () => {
    const c = await openWs(wsUrl);
    const started = performance.now();
    const closed = await c.closed;
    expect(closed).toEqual({ code: 1008, reason: "auth timeout" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(c.frames).toEqual([expect.objectContaining({ type: "error", code: "unauthorized" })]);
  });

  test("an unknown key and a first message that is not auth are refused with 1008", async () => {
    const a = await openWs(wsUrl);
    a.send({ type: "auth", api_key: `hlt_${"0".repeat(48)}` });
    expect(await a.next((f) => f.type === "error")).toMatchObject({ code: "unauthorized", message: "invalid API key" });
    expect((await a.closed).code).toBe(1008);
    const b = await openWs(wsUrl);
    b.send({ type: "subscribe", channel: "trade/0" });
    expect(await b.next((f) => f.type === "error")).toMatchObject({ code: "unauthorized" });
    expect((await b.closed).code).toBe(1008);
  });

  test("malformed frames and unknown types are errors on an authenticated socket, not closes", async () => {
    const c = await authedWs(wsUrl, key);
    open.push(c);
    c.send("{not json");
    c.send({ type: "subscribe" });
    c.send({ type: "dance" });
    const errors = async () => {
      await c.next(() => c.frames.filter((f) => f.type === "error").length >= 3);
      return c.frames.filter((f) => f.type === "error").map((f) => f.message);
    };
    expect(await errors()).toEqual(["malformed message: expected a JSON object", "invalid 'subscribe' message: see docs/websocket.md for its fields", "unknown message type 'dance'"]);
    c.send({ type: "ping" });
    expect(await c.next((f) => f.type === "pong")).toMatchObject({ type: "pong", timestamp: expect.any(Number) });
  });
});

describe("/ws keys", () => {
  test("revoking a key closes its open sockets (error unauthorized, close 1008)", async () => {
    const res = await fetch(`${svc.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `revoke-${crypto.randomUUID().slice(0, 8)}@example.com`, password: "a long enough password", tos_accepted: true }),
    });
    const reg = ((await res.json()) as { data: { api_key: string; token: string; key: { id: string } } }).data;
    const c = await authedWs(wsUrl, reg.api_key);
    const del = await fetch(`${svc.url}/api/v1/keys/${reg.key.id}`, { method: "DELETE", headers: { authorization: `Bearer ${reg.token}` } });
    expect(del.status).toBe(200);
    expect(await c.next((f) => f.type === "error")).toMatchObject({ code: "unauthorized", message: "this API key has been revoked" });
    expect(await c.closed).toEqual({ code: 1008, reason: "unauthorized" });
  });
});

describe("/ws limits", () => {
  test("over 30 msg/s (burst 60): each excess message is an error; the third in a row closes 1008", async () => {
    const c = await authedWs(wsUrl, key);
    for (let i = 0; i < 70; i++) c.send({ type: "ping" });
    expect(await c.closed).toEqual({ code: 1008, reason: "rate limit violations" });
    const errors = c.frames.filter((f) => f.type === "error").map((f) => f.code);
    expect(errors.length).toBe(3);
    expect(errors.every((code) => code === "rate_limit_exceeded")).toBe(true);
    expect(c.frames.filter((f) => f.type === "pong").length).toBeGreaterThanOrEqual(58);
  });

  test("an inbound frame over the size limit closes the socket 1009", async () => {
    const c = await authedWs(wsUrl, key);
    c.send(JSON.stringify({ type: "subscribe", channel: "trade/0", pad: "x".repeat(5000) }));
    expect((await c.closed).code).toBe(1009);
  });
});

describe("/ws heartbeat", () => {
  test("a client that answers neither ping is closed 1008 'pong timeout'", async () => {
    const c = await raw({ autoPong: false });
    c.send(JSON.stringify({ type: "auth", api_key: key }));
    await c.next((m) => m.type === "authenticated");
    const closed = await c.closed;
    expect(closed).toEqual({ code: 1008, reason: "pong timeout" });
    expect(c.pings).toBeGreaterThanOrEqual(1);
    expect(c.messages.some((m) => m.includes('"type":"ping"'))).toBe(true);
  });

  test("JSON pongs alone keep a socket open; so do protocol pongs alone", async () => {
    const jsonOnly = await raw({ autoPong: false });
    jsonOnly.send(JSON.stringify({ type: "auth", api_key: key }));
    await jsonOnly.next((m) => m.type === "authenticated");
    const protocolOnly = await raw({ autoPong: true });
    protocolOnly.send(JSON.stringify({ type: "auth", api_key: key }));
    await protocolOnly.next((m) => m.type === "authenticated");
    let closedEarly = false;
    void jsonOnly.closed.then(() => (closedEarly = true));
    void protocolOnly.closed.then(() => (closedEarly = true));
    // Four heartbeat rounds: each JSON ping answered with a JSON pong, protocol pings by the stack.
    for (let round = 1; round <= 4; round++) {
      await jsonOnly.next(() => jsonOnly.messages.filter((m) => m.includes('"type":"ping"')).length >= round, 2_000);
      jsonOnly.send(JSON.stringify({ type: "pong" }));
    }
    await protocolOnly.next(() => protocolOnly.pings >= 4, 2_000);
    expect(closedEarly).toBe(false);
  });
});
