import { describe, expect, test } from "bun:test";
import { createJwtCodec, looksLikeJwt } from "./jwt";

const opts = { secret: "s".repeat(40), issuer: "hyperlight", audience: "hyperlight-api", ttlSeconds: 3600 };
const NOW = Date.UTC(2026, 0, 1);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("HS256 JWT", () => {
  const jwt = createJwtCodec(opts);

  test("a signed token verifies with its claims and expires after its TTL (plus skew)", () => {
    const { token, expiresAt } = jwt.sign("usr_1", NOW);
    expect(looksLikeJwt(token)).toBe(true);
    expect(expiresAt).toBe(NOW + 3_600_000);
    const ok = jwt.verify(token, NOW + 1000);
    expect(ok).toMatchObject({ ok: true, claims: { sub: "usr_1", iss: "hyperlight", aud: "hyperlight-api", exp: NOW / 1000 + 3600 } });
    expect(jwt.verify(token, NOW + 3_629_000).ok).toBe(true);
    expect(jwt.verify(token, NOW + 3_630_000)).toEqual({ ok: false, reason: "expired" });
  });

  test("the algorithm is pinned: alg none, RS256 or a crit header are refused", () => {
    const { token } = jwt.sign("usr_1", NOW);
    const [, payload, sig] = token.split(".");
    expect(jwt.verify(`${b64({ alg: "none", typ: "JWT" })}.${payload}.${sig}`, NOW)).toEqual({ ok: false, reason: "algorithm" });
    expect(jwt.verify(`${b64({ alg: "RS256" })}.${payload}.${sig}`, NOW)).toEqual({ ok: false, reason: "algorithm" });
    expect(jwt.verify(`${b64({ alg: "HS256", crit: ["x"] })}.${payload}.${sig}`, NOW)).toEqual({ ok: false, reason: "algorithm" });
    expect(jwt.verify(`${b64({ alg: "none" })}.${payload}.`, NOW)).toEqual({ ok: false, reason: "malformed" });
  });

  test("a tampered payload, another secret, issuer or audience is refused", () => {
    const { token } = jwt.sign("usr_1", NOW);
    const [header, , sig] = token.split(".");
    const forged = b64({ iss: "hyperlight", aud: "hyperlight-api", sub: "usr_admin", iat: NOW / 1000, exp: NOW / 1000 + 60 });
    expect(jwt.verify(`${header}.${forged}.${sig}`, NOW)).toEqual({ ok: false, reason: "signature" });
    expect(createJwtCodec({ ...opts, secret: "t".repeat(40) }).verify(token, NOW)).toEqual({ ok: false, reason: "signature" });
    expect(createJwtCodec({ ...opts, audience: "other" }).verify(token, NOW)).toEqual({ ok: false, reason: "claims" });
    expect(createJwtCodec({ ...opts, issuer: "other" }).verify(token, NOW)).toEqual({ ok: false, reason: "claims" });
    expect(jwt.verify("hlt_" + "a".repeat(48), NOW)).toEqual({ ok: false, reason: "malformed" });
  });

  test("a token issued in the future (beyond the skew) is not yet valid", () => {
    const { token } = jwt.sign("usr_1", NOW + 120_000);
    expect(jwt.verify(token, NOW)).toEqual({ ok: false, reason: "not_yet_valid" });
  });
});
