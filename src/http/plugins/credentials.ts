/**
 * Reading credentials off a request. Checking them is framework-free and lives in
 * identity/authenticate.ts (re-exported here: the WebSocket gateway imports it from this module).
 */
import { looksLikeApiKey } from "../../identity/api-key";
import type { Credentials } from "../../identity/authenticate";

export { authenticateAdmin, authenticateJwt, authenticateKey, type Credentials } from "../../identity/authenticate";

/** Collects credentials; the query string is parsed only when it can hold one. */
export function readCredentials(request: Request): Credentials {
  const h = request.headers;
  const auth = h.get("authorization");
  const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : undefined;
  let key = h.get("x-api-key")?.trim() || undefined;
  if (key === undefined && request.url.includes("api_key=")) key = new URL(request.url).searchParams.get("api_key")?.trim() || undefined;
  return { key, bearer, bearerIsKey: bearer !== undefined && looksLikeApiKey(bearer), adminToken: h.get("x-admin-token") ?? undefined };
}
