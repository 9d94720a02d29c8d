import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSecretBox } from "./signals.shared.ts";
import { openSqliteStore } from "./sqlite/index.ts";

const KEY = "an-operator-key-of-at-least-32-characters";
const dir = mkdtempSync(join(tmpdir(), "hyperlight-sealed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("channel secrets at rest", () => {
  test("a keyed box seals with a fresh IV each time and opens what it sealed; plain text passes through", () => {
    const box = createSecretBox(KEY);
    const a = box.seal("whsec-like secret ✓");
    const b = box.seal("whsec-like secret ✓");
    expect(a).toStartWith("enc:v1:");
    expect(a).not.toBe(b);
    expect(box.open(a)).toBe("whsec-like secret ✓");
    expect(box.open("stored before a key was set")).toBe("stored before a key was set");
  });

  test("a sealed secret does not open without the key or with another key", () => {
    const sealed = createSecretBox(KEY).seal("s3cr3t-s3cr3t-s3cr3t");
    expect(() => createSecretBox().open(sealed)).toThrow("WEBHOOK_SECRET_KEY");
    expect(() => createSecretBox(`${KEY}!`).open(sealed)).toThrow();
  });

  test("with WEBHOOK_SECRET_KEY the SQLite row holds no plain secret, and reads give it back", async () => {
    const path = join(dir, "sealed.db");
    const store = await openSqliteStore({ path, webhookSecretKey: KEY });
    await store.migrate();
    const s = await store.signals.create({
      userId: "usr_sealed", name: "n", venue: "lighter", marketId: 0, cooldownSecs: 0, enabled: true,
      rule: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "AND" },
      channels: [{ type: "webhook", url: "https://a.example/h", secret: "plain-secret-never-stored" }],
    }, 1);
    expect((await store.signals.byId(s.id))?.channels[0]?.secret).toBe("plain-secret-never-stored");
    await store.close();
    const raw = new Database(path, { readonly: true });
    const row = raw.query<{ channels: string }, [string]>("SELECT channels FROM signals WHERE id = ?").get(s.id);
    raw.close();
    expect(row?.channels).not.toContain("plain-secret-never-stored");
    expect(row?.channels).toContain("enc:v1:");
  });
});
