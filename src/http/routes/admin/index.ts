import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import type { Identity } from "../../../identity";
import { okBody } from "../../envelope";
import { clientIp, type authPlugin } from "../../plugins/auth";
import { withRequestId } from "../../plugins/request-context";
import { keyView } from "../keys/model";
import { AdminKeyBody, adminKeyResponses, PlanBody, planResponses, UserParams, UsersQuery, usersResponses, userView } from "./model";

const TAGS = ["Admin"];

/**
 * The operator routes under /admin, with ADMIN_TOKEN. Mounted only when the token is configured:
 * without it they do not exist (404), so an unset token can never mean "open".
 */
export const adminRoutes = (deps: { identity: Identity; clock: Clock; auth: ReturnType<typeof authPlugin>; trustProxyHops: number }) => {
  const { admin } = deps.identity;
  const actor = (request: Request, requestId: string, server: { requestIP(r: Request): { address: string } | null } | null) =>
    ({ via: "http" as const, requestId, ip: clientIp(request, server?.requestIP(request)?.address, deps.trustProxyHops) });
  return new Elysia({ name: "routes.admin", prefix: "/admin" })
    .use(withRequestId)
    .use(deps.auth)
    .get(
      "/users",
      async ({ query, request, server, requestId }) => {
        const q = { limit: query.limit ?? 100, offset: query.offset ?? 0, email: query.email?.trim().toLowerCase() };
        const page = await admin.listUsers(q, actor(request, requestId, server));
        return okBody(requestId, deps.clock.now(), { users: page.rows.map(userView) }, { total: page.total, limit: q.limit, offset: q.offset });
      },
      { auth: "admin", query: UsersQuery, response: usersResponses, detail: { tags: TAGS, summary: "List users", description: "Oldest first, paged; `email` selects one." } },
    )
    .put(
      "/users/:user/plan",
      async ({ params, body, request, server, requestId }) => {
        const { user, previous } = await admin.setPlan(params.user, body.plan, actor(request, requestId, server));
        return okBody(requestId, deps.clock.now(), { user: userView(user), previous_plan: previous });
      },
      { auth: "admin", params: UserParams, body: PlanBody, response: planResponses, detail: { tags: TAGS, summary: "Set a user's plan", description: "Takes effect on every node at once (cached keys are invalidated)." } },
    )
    .post(
      "/users/:user/keys",
      async ({ params, body, request, server, requestId, set }) => {
        const r = await admin.createKey(params.user, { tier: body.tier, name: body.name }, actor(request, requestId, server));
        set.status = 201;
        return okBody(requestId, deps.clock.now(), { api_key: r.key, key: keyView(r.record), user: userView(r.user), plan_raised: r.planRaised });
      },
      { auth: "admin", params: UserParams, body: AdminKeyBody, response: adminKeyResponses, detail: { tags: TAGS, summary: "Create a key for a user at a tier", description: "The account is raised to the key's tier first when it is below it (a key never outranks its account)." } },
    );
};
