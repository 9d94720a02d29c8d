/**
 * Keys and passwords are never stored, logged or cached in clear. After registering and creating
 * keys every way there is (register, POST /keys, admin), the full keys must not appear in the
 * database file (main file, WAL and shared memory), any table, the log, the cache writes, the key
 * directory or — with Redis — any Redis key or value. The hashes must be there (so the check is not
 * vacuous).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { Database } from "bun:sqlite";
import { hashApiKey } from "../../src/identity/api-key";
import { systemClock } from "../../src/lib/clock";
import { ADMIN_TOKEN, startIdentityApp, type IdentityApp } from "../support/identity";
import { hasRedis } from "../support/services";

const PASSWORD = "correct horse battery";

async function redisDump(h: IdentityApp): Promise<string> {
  const redis = h.redis!;
  let out = "";
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const k of batch) {
      const type = await redis.type(k);
      const value = type === "string" ? await redis.get(k) : type === "hash" ? JSON.stringify(await redis.hgetall(k)) : type;
      out += `${k}=${value}\n`;
    }
  } while (cursor !== "0");
  return out;
}

for (const backend of ["memory", "redis"] as const) {
  describe.skipIf(backend === "redis" && !hasRedis)(`no secret in clear (${backend})`, () => {
    let h: IdentityApp;
    const secrets: string[] = [];
    const hashes: string[] = [];

    beforeAll(async () => {
      h = await startIdentityApp({ clock: systemClock, redis: backend === "redis", routes: (app) => void app.get("/probe", () => "ok", { auth: "apiKey" }) });
      const u = await h.register();
      secrets.push(u.apiKey);
      const made = await h.call("POST", "/api/v1/keys", { headers: { authorization: `Bearer ${u.token}` }, body: { name: "second" } });
      secrets.push((made.body.data as { api_key: string }).api_key);
      const adm = await h.call("POST", `/admin/users/${u.userId}/keys`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { tier: "scale" } });
      secrets.push((adm.body.data as { api_key: string }).api_key);
      for (const key of secrets) {
        expect((await h.call("GET", "/probe", { headers: { "x-api-key": key } })).status).toBe(200);
        expect((await h.call("GET", `/probe?api_key=${key}`)).status).toBe(200);
        hashes.push(hashApiKey(key));
      }
      await h.call("POST", "/api/v1/auth/login", { body: { email: u.email, password: PASSWORD } });
      await h.identity.usage.flush();
      await h.identity.meter.flush();
      await h.flushLogs();
    });
    afterAll(() => h?.close());

    test("not in the database file, its WAL, or any table", () => {
      const files = [h.dbPath, `${h.dbPath}-wal`, `${h.dbPath}-shm`].filter(existsSync).map((f) => readFileSync(f).toString("latin1"));
      const db = new Database(h.dbPath, { readonly: true });
      const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      const rows = JSON.stringify(tables.map((t) => db.query(`SELECT * FROM "${t.name}"`).all()));
      db.close();
      const everything = files.join("") + rows;
      for (const key of secrets) expect(everything.includes(key)).toBe(false);
      expect(everything.includes(key48(secrets[0]!))).toBe(false);
      expect(everything.includes(PASSWORD)).toBe(false);
      for (const hash of hashes) expect(rows).toContain(hash);
    });

    test("not in the logs (also not from ?api_key= URLs)", () => {
      const text = h.logLines.join("\n");
      expect(text).toContain('"key_id"'); // requests were logged, with their key id
      for (const key of secrets) expect(text.includes(key)).toBe(false);
      expect(text.includes(PASSWORD)).toBe(false);
    });

    test("not in the cache, the key directory or Redis", async () => {
      const cached = h.cache.written.join("\n") + JSON.stringify(h.identity.directory.dump());
      expect(h.identity.directory.dump().length).toBeGreaterThan(0);
      const redis = backend === "redis" ? await redisDump(h) : "";
      for (const key of secrets) {
        expect(cached.includes(key)).toBe(false);
        expect(redis.includes(key)).toBe(false);
      }
      expect(cached.includes(PASSWORD) || redis.includes(PASSWORD)).toBe(false);
    });
  });
}

/** The 48 hex characters after hlt_: the secret part on its own must not appear either. */
function key48(key: string): string {
  return key.slice(4);
}
