/**
 * API keys and account ids. A key is "hlt_" + 48 lower-case hex characters (192 bits from the
 * CSPRNG). Only its SHA-256 is stored: a key has full entropy, so a fast unsalted hash is enough
 * (nothing to brute-force) and lets the hot path find a key by an indexed lookup. The display
 * prefix ("hlt_" + 8 hex) identifies a key in lists without revealing it.
 */
import { timingSafeEqual } from "node:crypto";

/** The exact shape of a key. */
export const API_KEY_PATTERN = /^hlt_[0-9a-f]{48}$/;
/** Length of the stored display prefix: "hlt_" + 8 hex. */
const PREFIX_LENGTH = 12;

/** A freshly generated key: the key itself goes to the client once; hash and prefix are stored. */
export interface NewApiKey {
  key: string;
  hash: string;
  prefix: string;
}

const randomHex = (bytes: number): string => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

/** SHA-256 of a key, lower-case hex. */
export const hashApiKey = (key: string): string => Bun.SHA256.hash(key, "hex");

/** Generates a new key from the CSPRNG. */
export function generateApiKey(): NewApiKey {
  const key = `hlt_${randomHex(24)}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, PREFIX_LENGTH) };
}

/** True when `value` has the shape of a key (checked before any lookup). */
export const isApiKeyFormat = (value: string): boolean => value.length === 52 && API_KEY_PATTERN.test(value);

/** True when a credential was meant as a key (even a malformed one): it carries the hlt_ prefix. */
export const looksLikeApiKey = (value: string): boolean => value.startsWith("hlt_");

/**
 * Compares two hashes in constant time. The store finds a key by its hash (an index lookup, whose
 * timing depends only on the hash, never on the key), and this re-check guards against any
 * adapter that would ever match loosely (collation, trailing spaces).
 */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new user id: "usr_" + 24 hex. */
export const newUserId = (): string => `usr_${randomHex(12)}`;

/** A new key id: "key_" + 24 hex. */
export const newKeyId = (): string => `key_${randomHex(12)}`;
