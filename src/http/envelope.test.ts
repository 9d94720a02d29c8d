import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { encodedJson } from "./envelope";

describe("encodedJson", () => {
  // Hooks set headers before the handler runs, as request ids, rate limits and credits do.
  const app = new Elysia()
    .onRequest(({ set }) => {
      set.headers["x-request-id"] = "6f1c7a52-4a55-4a3e-9a53-0d7f2b7c1e11";
    })
    .onTransform(({ set }) => {
      set.headers["x-ratelimit-limit"] = "unlimited";
      set.headers["x-credits-cost"] = "1";
    })
    .get("/text", ({ set }) => encodedJson(set, '{"success":true,"data":{"n":1}}'))
    .get("/bytes", ({ set }) => encodedJson(set, new Blob(['{"success":true,', new TextEncoder().encode('"data":[1,2]}')])));

  test("sends the body as given, as JSON, with every header the hooks set", async () => {
    for (const [path, body] of [["/text", '{"success":true,"data":{"n":1}}'], ["/bytes", '{"success":true,"data":[1,2]}']] as const) {
      const res = await app.handle(new Request(`http://localhost${path}`));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(body);
      expect(Object.fromEntries(res.headers)).toMatchObject({
        "content-type": "application/json",
        "x-request-id": "6f1c7a52-4a55-4a3e-9a53-0d7f2b7c1e11",
        "x-ratelimit-limit": "unlimited",
        "x-credits-cost": "1",
      });
    }
  });

  test("the response is the one the route built, not a copy around a stream of its body", async () => {
    let built: Response | undefined;
    const probe = new Elysia()
      .onRequest(({ set }) => {
        set.headers["x-request-id"] = "id";
      })
      .get("/", ({ set }) => (built = encodedJson(set, "{}")));
    const res = await probe.handle(new Request("http://localhost/"));
    expect(res).toBe(built!);
    expect(res.headers.get("x-request-id")).toBe("id");
  });
});
