import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ManualClock, systemClock } from "../../lib/clock.ts";
import { sendWebhook } from "./sender.ts";
import { type HostResolver, createWebhookPolicy, resolveWebhookTarget } from "./ssrf.ts";

const TLS_DIR = join(import.meta.dir, "../../../test/fixtures/webhook-tls");
const servers: Array<{ stop(force?: boolean): unknown }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});
const serve = (fetch: (req: Request) => Response | Promise<Response>, tls?: { key: string; cert: string }) => {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch, ...(tls ? { tls } : {}) });
  servers.push(s);
  return s;
};
const base = { headers: { "content-type": "application/json" }, body: "{}", timeoutMs: 5_000 };

describe("sendWebhook", () => {
  test("connects to the address checked, not to what a second lookup would answer; Host keeps the name", async () => {
    const seen: string[] = [];
    const canary = serve((req) => (seen.push(req.headers.get("host") ?? ""), new Response("ok")));
    let lookups = 0;
    // First answer: loopback (allow-listed for the test); any later lookup would answer elsewhere.
    const resolver: HostResolver = async () => [{ address: lookups++ === 0 ? "127.0.0.1" : "10.9.9.9", family: 4 }];
    const policy = createWebhookPolicy({ allowHttp: true, allowHosts: ["hooks.example.test"] });
    const target = await resolveWebhookTarget(`http://hooks.example.test:${canary.port}/in`, policy, resolver);
    if (!target.ok) throw new Error(target.reason);
    const r = await sendWebhook({ ...base, url: target.url, address: target.address, family: target.family }, systemClock);
    expect(r).toEqual({ status: 200, error: null });
    expect(seen).toEqual([`hooks.example.test:${canary.port}`]);
    expect(lookups).toBe(1);
  });

  test("https to a pinned address sends the name as SNI and verifies the certificate against it", async () => {
    const [key, cert] = await Promise.all([Bun.file(join(TLS_DIR, "key.pem")).text(), Bun.file(join(TLS_DIR, "cert.pem")).text()]);
    const hosts: string[] = [];
    const receiver = serve((req) => (hosts.push(req.headers.get("host") ?? ""), new Response(null, { status: 204 })), { key, cert });
    const ok = await sendWebhook({ ...base, url: new URL(`https://hooks.example.test:${receiver.port}/`), address: "127.0.0.1", family: 4, ca: cert }, systemClock);
    expect(ok).toEqual({ status: 204, error: null });
    expect(hosts).toEqual([`hooks.example.test:${receiver.port}`]);
    const wrongName = await sendWebhook({ ...base, url: new URL(`https://other.example.test:${receiver.port}/`), address: "127.0.0.1", family: 4, ca: cert }, systemClock);
    expect(wrongName.status).toBeNull();
    expect(wrongName.error).toMatch(/altnames|certificate|hostname/i);
    const untrusted = await sendWebhook({ ...base, url: new URL(`https://hooks.example.test:${receiver.port}/`), address: "127.0.0.1", family: 4 }, systemClock);
    expect(untrusted.status).toBeNull();
    expect(hosts).toHaveLength(1);
  });

  test("a redirect is reported, not followed", async () => {
    const paths: string[] = [];
    const r = serve((req) => {
      paths.push(new URL(req.url).pathname);
      return new URL(req.url).pathname === "/in" ? Response.redirect(`http://127.0.0.1:${r.port}/elsewhere`, 302) : new Response("ok");
    });
    const res = await sendWebhook({ ...base, url: new URL(`http://127.0.0.1:${r.port}/in`), address: "127.0.0.1", family: 4 }, systemClock);
    expect(res).toEqual({ status: 302, error: null });
    expect(paths).toEqual(["/in"]);
  });

  test("a large response body is cut off after the cap", async () => {
    const r = serve(() => new Response("x".repeat(4 * 1024 * 1024), { status: 500 }));
    const res = await sendWebhook({ ...base, url: new URL(`http://127.0.0.1:${r.port}/`), address: "127.0.0.1", family: 4, maxResponseBytes: 1024 }, systemClock);
    expect(res).toEqual({ status: 500, error: null });
  });

  test("a receiver that hangs times out on the injected clock", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    const hang = new Promise<Response>((resolve) => (release = () => resolve(new Response("late"))));
    const r = serve(() => (arrived(), hang));
    const pending = sendWebhook({ ...base, timeoutMs: 10_000, url: new URL(`http://127.0.0.1:${r.port}/`), address: "127.0.0.1", family: 4 }, clock);
    await arrival;
    clock.advance(9_999);
    clock.advance(1);
    expect(await pending).toEqual({ status: null, error: "timed out after 10000 ms" });
    release();
  });

  test("a refused connection is an error without a status", async () => {
    const r = serve(() => new Response("ok"));
    const port = r.port;
    r.stop(true);
    const res = await sendWebhook({ ...base, url: new URL(`http://127.0.0.1:${port}/`), address: "127.0.0.1", family: 4 }, systemClock);
    expect(res.status).toBeNull();
    expect(res.error).toBeTruthy();
  });
});
