/**
 * Webhook request signing, the Standard Webhooks way (https://www.standardwebhooks.com):
 *
 *   webhook-id:        the delivery id ("msg_…"), the same on every retry — receivers deduplicate on it
 *   webhook-timestamp: seconds since the epoch of this attempt
 *   webhook-signature: "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))
 *
 * The HMAC key is the channel secret's UTF-8 bytes. Standard Webhooks libraries expect a
 * "whsec_"-prefixed base64 secret by default; receivers verify ours in raw-secret mode (e.g.
 * `new Webhook(secret, { format: "raw" })` in the `standardwebhooks` npm package — which reads a
 * string secret one UTF-16 unit per byte, so a non-ASCII secret must be passed as its UTF-8 bytes).
 *
 * Every request also carries `X-Hyperlight-Signature: sha256=<hex HMAC-SHA256(key, body)>` for
 * receivers that only want "HMAC of the body" (it does not cover the id or time: no replay defence).
 */
import { createHmac } from "node:crypto";
import { VERSION } from "../../lib/version.ts";

export const WEBHOOK_USER_AGENT = `Hyperlight-Webhooks/${VERSION}`;

export interface SignInput {
  /** webhook-id. */
  id: string;
  /** Attempt time, ms; sent in whole seconds. */
  at: number;
  /** The exact body bytes sent (a JSON string). */
  body: string;
  secret: string;
}

/** The Standard Webhooks signature value for one attempt: "v1,<base64>". */
export function standardSignature(input: SignInput, timestampSec: number): string {
  const mac = createHmac("sha256", Buffer.from(input.secret, "utf8")).update(`${input.id}.${timestampSec}.${input.body}`, "utf8").digest("base64");
  return `v1,${mac}`;
}

/** Every header of a webhook request: signatures, ids, content type and user agent (lower-case names). */
export function webhookHeaders(input: SignInput): Record<string, string> {
  const timestampSec = Math.floor(input.at / 1000);
  const bodyMac = createHmac("sha256", Buffer.from(input.secret, "utf8")).update(input.body, "utf8").digest("hex");
  return {
    "content-type": "application/json",
    "user-agent": WEBHOOK_USER_AGENT,
    "webhook-id": input.id,
    "webhook-timestamp": String(timestampSec),
    "webhook-signature": standardSignature(input, timestampSec),
    "x-hyperlight-signature": `sha256=${bodyMac}`,
  };
}
