import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { unavailableAccounts } from "../../../actors/accounts/read-model";
import { formatUsdc } from "../../../domain/margin";
import { ManualClock } from "../../../lib/clock";
import { createLiveMarkets } from "../../../market/live";
import type { PnlSnapshotRecord } from "../../../store/accounts.port";
import { createMemoryCache } from "../../../store/memory/cache";
import type { Store } from "../../../store/ports";
import { openSqliteStore } from "../../../store/sqlite";
import { tempDir } from "../../../../test/support/process";
import { AccountService } from "./single.service";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
/** More snapshots than one store read returns, so bucketing must page through them. */
const SNAPSHOTS = 120_000;
const snapshot = (i: number): PnlSnapshotRecord => ({
  venue: "lighter", accountId: 7, ts: T0 + i * 60_000, equity: 1_000_000 + i, collateral: 1_000_000, unrealizedPnl: i, realizedPnl: 0, fundingPaid: 0, notional: 5_000_000, positions: 1,
});

let dir: string;
let store: Store;
let service: AccountService;

beforeAll(async () => {
  dir = tempDir("pnl-buckets");
  store = await openSqliteStore({ path: join(dir, "hyperlight.db") });
  await store.migrate();
  for (let i = 0; i < SNAPSHOTS; i += 10_000) {
    await store.accounts.insertPnlSnapshots(Array.from({ length: Math.min(10_000, SNAPSHOTS - i) }, (_, k) => snapshot(i + k)));
  }
  const clock = new ManualClock(T0 + SNAPSHOTS * 60_000);
  // No tracker on this node: the history is the store's alone.
  service = new AccountService({ accounts: unavailableAccounts, store: store.accounts, live: createLiveMarkets(createMemoryCache(clock)), venue: "lighter", clock });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("PnL history buckets", () => {
  test("every stored snapshot counts, past one read's worth: each day's point is its last snapshot", async () => {
    const end = T0 + SNAPSHOTS * 60_000;
    const r = await service.pnl(7, { resolution: "1d", start: String(T0), end: String(end) }, end);
    const days = Math.ceil((SNAPSHOTS * 60_000) / DAY);
    expect(r.points).toHaveLength(days);
    for (let d = 0; d < days; d++) {
      const lastOfDay = Math.min(SNAPSHOTS, ((d + 1) * DAY) / 60_000) - 1;
      expect({ day: d, time: r.points[d]!.timestamp, equity: r.points[d]!.equity }).toEqual({ day: d, time: T0 + d * DAY, equity: formatUsdc(snapshot(lastOfDay).equity) });
    }
  });
});
