/**
 * The identity surface as one plugin: register/login (public), the account overview and the plan
 * table, key management (JWT), and — only when ADMIN_TOKEN is configured — the operator routes.
 */
import { Elysia } from "elysia";
import type { Clock } from "../lib/clock";
import type { Identity } from "../identity";
import type { authPlugin } from "./plugins/auth";
import { accountRoutes } from "./routes/account";
import { adminRoutes } from "./routes/admin";
import { authRoutes } from "./routes/auth";
import { keysRoutes } from "./routes/keys";

/** Builds the identity routes; `auth` is the app's auth plugin instance (one macro for the whole app). */
export const identityApi = (deps: { identity: Identity; clock: Clock; trustProxyHops: number; auth: ReturnType<typeof authPlugin> }) => {
  const api = new Elysia({ name: "api.identity" }).use(authRoutes(deps)).use(accountRoutes(deps)).use(keysRoutes(deps));
  return deps.identity.adminToken ? api.use(adminRoutes(deps)) : api;
};
