import { Elysia } from "elysia";
import type { Clock } from "../../../lib/clock";
import type { Identity } from "../../../identity";
import { okBody } from "../../envelope";
import { clientIp, type authPlugin } from "../../plugins/auth";
import { withRequestId } from "../../plugins/request-context";
import { keyView } from "../keys/model";
import { LoginBody, loginResponses, RegisterBody, registerResponses } from "./model";

const TAGS = ["Auth"];

/** POST /api/v1/auth/register and /api/v1/auth/login: public, throttled per IP and per account. */
export const authRoutes = (deps: { identity: Identity; clock: Clock; auth: ReturnType<typeof authPlugin>; trustProxyHops: number }) => {
  const { accounts } = deps.identity;
  return new Elysia({ name: "routes.auth", prefix: "/api/v1/auth" })
    .use(withRequestId)
    .use(deps.auth)
    .post(
      "/register",
      async ({ body, request, server, requestId, set }) => {
        const ip = clientIp(request, server?.requestIP(request)?.address, deps.trustProxyHops);
        const s = await accounts.register({ email: body.email, password: body.password, tosAccepted: body.tos_accepted }, ip);
        set.status = 201;
        return okBody(requestId, deps.clock.now(), {
          token: s.token, token_expires_at: s.expiresAt, user_id: s.user.id, email: s.user.email, plan: s.user.plan, api_key: s.apiKey, key: keyView(s.key),
        });
      },
      {
        auth: "public", body: RegisterBody, response: registerResponses,
        detail: { tags: TAGS, summary: "Register and get API key + JWT", description: "Creates an account on the Free plan. `data.api_key` is the first key, shown exactly once (only its SHA-256 is stored); `data.token` is a JWT for the dashboard endpoints. 409 conflict when the e-mail is taken." },
      },
    )
    .post(
      "/login",
      async ({ body, request, server, requestId }) => {
        const ip = clientIp(request, server?.requestIP(request)?.address, deps.trustProxyHops);
        const s = await accounts.login({ email: body.email, password: body.password }, ip);
        return okBody(requestId, deps.clock.now(), { token: s.token, token_expires_at: s.expiresAt, user_id: s.user.id, email: s.user.email, plan: s.user.plan });
      },
      {
        auth: "public", body: LoginBody, response: loginResponses,
        detail: { tags: TAGS, summary: "Login and get JWT token", description: "An unknown e-mail and a wrong password get the same 401. Repeated failures slow down per account and per address (429 with Retry-After)." },
      },
    );
};
