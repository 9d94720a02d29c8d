/**
 * JSON Web Tokens, HS256 only (RFC 7519 / 7515), on Bun's HMAC — no dependency. The algorithm is
 * pinned: a token whose header says anything but {"alg":"HS256"} is refused before its signature is
 * even computed, which closes the "alg: none" and RS/HS confusion attacks. Verification checks the
 * signature in constant time, then `iss`, `aud`, `sub`, `exp` (and `nbf`/`iat` against a small
 * skew), so a token is only ever accepted for this service and audience.
 */
import { timingSafeEqual } from "node:crypto";

/** The claims Hyperlight issues. */
export interface JwtClaims {
  iss: string;
  aud: string;
  /** The user id. */
  sub: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch. */
  exp: number;
  /** Unique token id. */
  jti: string;
}

/** Why a token was refused (for logs and tests; clients get one generic 401). */
export type JwtFailure = "malformed" | "algorithm" | "signature" | "expired" | "not_yet_valid" | "claims";

/** The outcome of {@link JwtCodec.verify}. */
export type JwtResult = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtFailure };

/** Options of {@link createJwtCodec}. */
export interface JwtOptions {
  /** HS256 key; at least 32 characters (config enforces it). */
  secret: string;
  issuer: string;
  audience: string;
  /** Lifetime of issued tokens, seconds. */
  ttlSeconds: number;
  /** Tolerated clock difference for exp/nbf/iat, seconds. Default 30. */
  skewSeconds?: number;
}

/** Signs and verifies tokens for one issuer/audience. */
export interface JwtCodec {
  sign(sub: string, nowMs: number): { token: string; expiresAt: number };
  verify(token: string, nowMs: number): JwtResult;
}

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
/** Header, payload and signature: three base64url segments (no padding). */
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function base64url(input: string | Uint8Array): string {
  return Buffer.from(input).toString("base64url");
}

function parseJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** True when `value` has the shape of a compact JWS (used to tell a JWT from an API key). */
export const looksLikeJwt = (value: string): boolean => value.length < 8192 && SHAPE.test(value);

/** Creates a codec bound to one secret, issuer and audience. */
export function createJwtCodec(opts: JwtOptions): JwtCodec {
  if (opts.secret.length < 32) throw new RangeError("JWT secret must be at least 32 characters");
  const skew = opts.skewSeconds ?? 30;
  const mac = (data: string): Buffer => Buffer.from(new Bun.CryptoHasher("sha256", opts.secret).update(data).digest());

  return {
    sign(sub, nowMs) {
      const iat = Math.floor(nowMs / 1000);
      const claims: JwtClaims = { iss: opts.issuer, aud: opts.audience, sub, iat, exp: iat + opts.ttlSeconds, jti: crypto.randomUUID() };
      const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
      return { token: `${body}.${mac(body).toString("base64url")}`, expiresAt: claims.exp * 1000 };
    },
    verify(token, nowMs) {
      if (!looksLikeJwt(token)) return { ok: false, reason: "malformed" };
      const [h, p, s] = token.split(".") as [string, string, string];
      const header = parseJson(h) as { alg?: unknown; typ?: unknown; crit?: unknown } | undefined;
      if (!header || typeof header !== "object") return { ok: false, reason: "malformed" };
      // Pinned: exactly HS256, and no critical extensions we would have to understand.
      if (header.alg !== "HS256" || header.crit !== undefined || (header.typ !== undefined && header.typ !== "JWT")) {
        return { ok: false, reason: "algorithm" };
      }
      const given = Buffer.from(s, "base64url");
      const expected = mac(`${h}.${p}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "signature" };
      const c = parseJson(p) as Partial<Record<keyof JwtClaims | "nbf", unknown>> | undefined;
      if (!c || typeof c !== "object") return { ok: false, reason: "malformed" };
      if (c.iss !== opts.issuer || c.aud !== opts.audience || typeof c.sub !== "string" || c.sub === "") return { ok: false, reason: "claims" };
      if (typeof c.exp !== "number" || typeof c.iat !== "number") return { ok: false, reason: "claims" };
      const now = Math.floor(nowMs / 1000);
      if (now >= c.exp + skew) return { ok: false, reason: "expired" };
      if (c.iat > now + skew || (typeof c.nbf === "number" && c.nbf > now + skew)) return { ok: false, reason: "not_yet_valid" };
      return { ok: true, claims: { iss: c.iss, aud: c.aud, sub: c.sub, iat: c.iat, exp: c.exp, jti: typeof c.jti === "string" ? c.jti : "" } };
    },
  };
}
