import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import { AppError } from "../../../lib/errors";
import type { Identity } from "../../../identity";
import type { Principal } from "../../../identity/principal";
import { okBody } from "../../envelope";
import { withRequestId } from "../../plugins/request-context";
import type { authPlugin } from "../../plugins/auth";

import {
  CreateKeyBody, createResponses, KeyIdParams, keyResponses, keyView, listResponses, parseTimeField, PatchKeyBody, UsageQuery,
  usageResponses, usageView,
} from "./model";

const TAGS = ["API Key Management"];

/** The signed-in user of a JWT route (the auth macro guarantees one). */
function user(p: Principal) {
  if (p.kind !== "user") throw new AppError("unauthorized", "this endpoint takes a JWT");
  return { id: p.userId, plan: p.plan };
}

/** POST/GET /api/v1/keys, PATCH/DELETE /api/v1/keys/:key_id, GET /api/v1/keys/:key_id/usage — JWT only. */
export const keysRoutes = (deps: { identity: Identity; clock: Clock; auth: ReturnType<typeof authPlugin> }) => {
  const { keys } = deps.identity;
  const now = () => deps.clock.now();
  return new Elysia({ name: "routes.keys", prefix: "/api/v1" })
    .use(withRequestId)
    .use(deps.auth)
    .post(
      "/keys",
      async ({ body, principal, requestId, set }) => {
        const { record, key } = await keys.create(user(principal), {
          name: body.name, tier: body.tier, allowedIps: body.allowed_ips, expiresAt: parseTimeField("body", "expires_at", body.expires_at),
        });
        set.status = 201;
        return okBody(requestId, now(), { api_key: key, key: keyView(record) });
      },
      { auth: "jwt", body: CreateKeyBody, response: createResponses, detail: { tags: TAGS, summary: "Create new API key", description: "The response holds the full key once; afterwards only its prefix is shown. `tier` defaults to the account's plan and cannot exceed it (403). At most 50 active keys per account." } },
    )
    .get("/keys", async ({ principal, requestId }) => okBody(requestId, now(), { keys: (await keys.list(user(principal).id)).map(keyView) }), {
      auth: "jwt", response: listResponses, detail: { tags: TAGS, summary: "List your keys (prefix only)", description: "Active keys, oldest first. Never the key or its hash." },
    })
    .patch(
      "/keys/:key_id",
      async ({ params, body, principal, requestId }) => {
        const updated = await keys.update(user(principal), params.key_id, {
          name: body.name, tier: body.tier, allowedIps: body.allowed_ips, enabled: body.enabled,
          expiresAt: parseTimeField("body", "expires_at", body.expires_at),
        });
        return okBody(requestId, now(), keyView(updated));
      },
      { auth: "jwt", params: KeyIdParams, body: PatchKeyBody, response: keyResponses, detail: { tags: TAGS, summary: "Update key (name, IP allowlist, expiry, tier, enabled)", description: "Absent fields stay as they are; null clears allowed_ips (any address) or expires_at (never). Takes effect on every node at once." } },
    )
    .delete("/keys/:key_id", async ({ params, principal, requestId }) => okBody(requestId, now(), keyView(await keys.revoke(user(principal).id, params.key_id))), {
      auth: "jwt", params: KeyIdParams, response: keyResponses, detail: { tags: TAGS, summary: "Revoke key", description: "Revokes at once on every node: the key answers 401 from then on. A revoked key disappears from the list; its usage stays readable." },
    })
    .get(
      "/keys/:key_id/usage",
      async ({ params, query, principal, requestId }) => {
        const u = await keys.usage(user(principal).id, params.key_id, {
          start: parseTimeField("query", "start", query.start) ?? undefined, end: parseTimeField("query", "end", query.end) ?? undefined,
        });
        const totals = u.hours.reduce((acc, h) => ({ requests: acc.requests + h.requests, credits: acc.credits + h.credits, errors: acc.errors + h.errors }), { requests: 0, credits: 0, errors: 0 });
        return okBody(requestId, now(), { key_id: u.key.id, start: u.start, end: u.end, hours: u.hours.map(usageView), totals });
      },
      { auth: "jwt", params: KeyIdParams, query: UsageQuery, response: usageResponses, detail: { tags: TAGS, summary: "Hourly usage breakdown", description: "Requests, credits and errors (status ≥ 400) per UTC hour in [start, end), at most 31 days." } },
    );
};
