import { describe, expect, test } from "bun:test";
import { partitionFor } from "./partitions.postgres.ts";

describe("partitionFor", () => {
  test("trades: one UTC day, [00:00, next 00:00), named by date", () => {
    const p = partitionFor("trades", Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(p).toEqual({ name: "trades_p20240229", from: Date.UTC(2024, 1, 29), to: Date.UTC(2024, 2, 1) });
    expect(partitionFor("trades", p.to).name).toBe("trades_p20240301");
  });

  test("book snapshots: one UTC month, across a year end", () => {
    expect(partitionFor("book_snapshots", Date.UTC(2023, 11, 31, 12))).toEqual({
      name: "book_snapshots_p202312",
      from: Date.UTC(2023, 11, 1),
      to: Date.UTC(2024, 0, 1),
    });
  });

  test("times before 1970 still get the day that contains them", () => {
    const p = partitionFor("trades", -1);
    expect(p).toEqual({ name: "trades_p19691231", from: -86_400_000, to: 0 });
  });
});
