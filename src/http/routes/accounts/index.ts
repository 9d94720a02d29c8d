import { Elysia } from "elysia";
import { okBody } from "../../envelope";
import { JsonBytes } from "../../../lib/json-bytes";
import type { authPlugin } from "../../plugins/auth";
import { batchLimit } from "../../plugins/batch-limit";
import { withRequestId } from "../../plugins/request-context";
import {
  BATCH_LIMITS, BatchBody, BatchFillsBody, BatchLiquidationsBody, BatchPositionsBody, batchFillsResponses, batchLiquidationsResponses,
  batchPositionsResponses, batchResponses,
} from "./requests";
import type { AccountsDeps } from "./resolve";
import { AccountsBatchService } from "./service";
import { singleAccountRoutes } from "./single.routes";

const TAGS = ["Accounts & Batch Queries"];
const BATCH = "Up to your tier's batch size (Free 5, Starter 200, Growth 1,000, Scale 2,500, Enterprise 5,000; more is 400 batch_too_large, not charged). Unknown accounts are reported per item in `data.errors` (account_not_found, or account_not_tracked: a lookup is queued, retry in a few seconds); the request still succeeds.";

/**
 * POST /api/v1/accounts/batch, …/batch/{positions,fills,liquidations} (here) and GET
 * /api/v1/accounts/:id/{positions,fills,pnl,liquidation-risk} (single.routes.ts). Each route
 * declares its auth class and credit cost (batch 25; heavy batch 50: fills and liquidations) and
 * batches their items field, whose per-tier size `batchLimit` checks before validation and
 * charging; `auth` is the app's auth plugin.
 */
export const accountsRoutes = (deps: AccountsDeps & { auth: ReturnType<typeof authPlugin> }) => {
  const batch = new AccountsBatchService(deps);
  const now = () => deps.clock.now();
  const batchRoutes = new Elysia({ name: "routes.accounts.batch", prefix: "/api/v1" })
    .use(withRequestId)
    .use(deps.auth)
    .use(batchLimit)
    .post("/accounts/batch", async ({ body, requestId }) => {
      // Written as JSON bytes (the 200 schema below is its shape; the tests hold it to it): thousands
      // of accounts through objects, response validation and JSON.stringify cost more than the data.
      const w = new JsonBytes(1024 + body.accounts.length * 2560);
      w.text(`{"success":true,"data":`);
      const r = await batch.batch(body, w);
      w.text(`,"meta":${JSON.stringify({ request_id: requestId, timestamp: now(), ...r.meta })}}`);
      return new Response(w.bytes(), { headers: { "content-type": "application/json" } });
    }, {
      auth: "apiKey", cost: "batch", batchItems: "accounts", body: BatchBody, response: batchResponses,
      detail: { tags: TAGS, summary: "Batch query accounts (positions, orders, fills)", description: `Current state of many accounts from memory: account figures (collateral, total asset value, margin requirements, margin ratio, health), positions with liquidation prices, open orders and the ${BATCH_LIMITS.fills.default} newest fills (\`fills_limit\`, max ${BATCH_LIMITS.fills.max}). \`include\` picks the parts. ${BATCH} 25 credits.` },
    })
    .post("/accounts/batch/positions", async ({ body, requestId }) => { const r = await batch.positions(body); return okBody(requestId, now(), r.data, r.meta); }, {
      auth: "apiKey", cost: "batch", batchItems: "accounts", body: BatchPositionsBody, response: batchPositionsResponses,
      detail: { tags: TAGS, summary: "Batch positions across accounts", description: `Open positions of many accounts (optionally one market), valued at the marks, with liquidation prices. ${BATCH} 25 credits.` },
    })
    .post("/accounts/batch/fills", async ({ body, requestId }) => { const r = await batch.fills(body, now()); return okBody(requestId, now(), r.data, r.meta); }, {
      auth: "apiKey", cost: "heavyBatch", batchItems: "accounts", body: BatchFillsBody, response: batchFillsResponses,
      detail: { tags: TAGS, summary: "Batch fills across accounts", description: `The newest fills of each account in [start, end) (default the last 24 h; at most 31 days), \`limit_per_account\` each (default ${BATCH_LIMITS.fillsPerAccount.default}, max ${BATCH_LIMITS.fillsPerAccount.max}), newest first. ${BATCH} 50 credits (heavy batch).` },
    })
    .post("/accounts/batch/liquidations", async ({ body, requestId }) => { const r = await batch.liquidations(body, now()); return okBody(requestId, now(), r.data, r.meta); }, {
      auth: "apiKey", cost: "heavyBatch", batchItems: "accounts", body: BatchLiquidationsBody, response: batchLiquidationsResponses,
      detail: { tags: TAGS, summary: "Batch liquidation events", description: `Liquidations and deleverages of each account in [start, end) (default the last 7 days; at most 31 days), newest first, with the account's current health and margin ratio. ${BATCH} 50 credits (heavy batch).` },
    });
  return new Elysia({ name: "routes.accounts" }).use(batchRoutes).use(singleAccountRoutes(deps));
};

