/**
 * An API key for end-to-end tests and benchmarks, provisioned the way an operator would: the user
 * registers (POST /api/v1/auth/register), then the operator creates an enterprise key for them
 * (POST /admin/users/:user/keys with ADMIN_TOKEN) — enterprise has no request-rate limit and no
 * credit cap, so polling and load do not hit 429 / 402.
 */

/** Give the service this as ADMIN_TOKEN. */
export const TEST_ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef0123456789";

/** Registers `email` (if needed) and returns a new enterprise key for it. */
export async function provisionApiKey(base: string, email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.com`): Promise<string> {
  const register = await fetch(`${base}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "correct horse battery staple", tos_accepted: true }),
  });
  if (register.status !== 201 && register.status !== 409) throw new Error(`register → ${register.status} ${await register.text()}`);
  const res = await fetch(`${base}/admin/users/${encodeURIComponent(email)}/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    body: JSON.stringify({ tier: "enterprise", name: "e2e" }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`create key → ${res.status} ${text}`);
  return (JSON.parse(text) as { data: { api_key: string } }).data.api_key;
}
