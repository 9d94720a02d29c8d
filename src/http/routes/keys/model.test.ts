import { expect, test } from "bun:test";
import { TIER_IDS } from "../../../domain/tiers";
import { TierSchema } from "./model";

test("the tier schema lists exactly the plans of domain/tiers", () => {
  expect(TierSchema.anyOf.map((s) => s.const)).toEqual([...TIER_IDS]);
});
