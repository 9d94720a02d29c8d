/**
 * The per-tier batch size, as a route macro: `{ auth: { class: "apiKey", cost: "batch" },
 * batchItems: "accounts" }`. Its transform runs right after authentication (the auth macro's
 * transform) and before validation and the credit debit, so an oversized batch is refused with
 * `batch_too_large` without costing credits — like any other malformed request — and whatever
 * else is wrong with the body. The limit is the key's tier (`maxBatchSize` in domain/tiers.ts).
 */
import { Elysia } from "elysia";
import { TIER_IDS, TIERS } from "../../domain/tiers";
import { AppError } from "../../lib/errors";
import { requestAuth } from "../../identity/principal";

/** The largest batch any tier allows (the schema's cap for requests without a key). */
export const LARGEST_BATCH = Math.max(...TIER_IDS.map((id) => TIERS[id].maxBatchSize));

export const batchLimit = new Elysia({ name: "batch-limit" }).macro({
  /** Names the body field holding the batch's items. Declare it after `auth`. */
  batchItems: (field: string) => ({
    transform(ctx: { request: Request; body: unknown }) {
      const items = typeof ctx.body === "object" && ctx.body !== null ? (ctx.body as Record<string, unknown>)[field] : undefined;
      if (!Array.isArray(items)) return;
      const principal = requestAuth(ctx.request)?.principal;
      const tier = principal?.kind === "key" ? principal.tier : undefined;
      const max = tier ? TIERS[tier].maxBatchSize : LARGEST_BATCH;
      if (items.length <= max) return;
      const who = tier ? `the ${TIERS[tier].name} tier allows` : "at most";
      throw new AppError("batch_too_large", `batch too large: ${items.length} items in '${field}'; ${who} ${max} per request`, {
        details: { field, requested: items.length, max_batch_size: max, ...(tier ? { tier } : {}) },
      });
    },
  }),
});
