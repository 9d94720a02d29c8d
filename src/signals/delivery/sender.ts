/**
 * Sends one webhook request to an address that was already checked. node:http(s) `request` with a
 * `lookup` that answers the pinned address: the socket goes to exactly that address (no second DNS
 * query that a rebinding name could answer differently), while the URL's host name still sets the
 * Host header, TLS SNI and the name the certificate is verified against. No connection reuse
 * (`agent: false`): each attempt connects to the address checked for it.
 *
 * Redirects are not followed (node's client never does; a 3xx is reported like any non-2xx). The
 * response body is discarded and read at most `maxResponseBytes` before the socket is closed. One
 * timer on the injected clock bounds the whole exchange, connect to last byte.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Clock } from "../../lib/clock.ts";

export interface SendRequest {
  url: URL;
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM), for receivers with a private CA (tests). */
  ca?: string;
  /** Default 64 KiB. */
  maxResponseBytes?: number;
}

/** What came back: the HTTP status, or null with an error (timeout, refused, TLS…). */
export interface SendResult {
  status: number | null;
  error: string | null;
}

const DEFAULT_MAX_RESPONSE = 64 * 1024;

/** Sends the request; never rejects. */
export function sendWebhook(req: SendRequest, clock: Clock): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    let timer: unknown;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      resolve(result);
    };
    const pinned: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: req.address, family: req.family }]);
      else callback(null, req.address, req.family);
    };
    const client = req.url.protocol === "https:" ? https : http;
    const max = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
    let outgoing: http.ClientRequest;
    try {
      outgoing = client.request(req.url, {
        method: "POST",
        headers: { ...req.headers, "content-length": String(Buffer.byteLength(req.body)) },
        lookup: pinned,
        agent: false,
        ...(req.ca ? { ca: req.ca } : {}),
      });
    } catch (err) {
      finish({ status: null, error: describe(err) });
      return;
    }
    timer = clock.setTimeout(() => {
      finish({ status: null, error: `timed out after ${req.timeoutMs} ms` });
      outgoing.destroy();
    }, req.timeoutMs);
    outgoing.on("response", (res) => {
      const status = res.statusCode ?? null;
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > max) {
          res.destroy();
          finish({ status, error: null });
        }
      });
      res.on("end", () => finish({ status, error: null }));
      res.on("error", () => finish({ status, error: null }));
      res.on("close", () => finish({ status, error: null }));
    });
    outgoing.on("error", (err) => finish({ status: null, error: describe(err) }));
    outgoing.end(req.body);
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
