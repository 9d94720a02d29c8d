/**
 * Small pieces of the /ws gateway: getting at Bun's native socket under Elysia's wrapper, the
 * upgrade request's context, connection ids, the reason an inbound message is refused, and the
 * watch that closes sockets whose key stopped being valid.
 */
import type { ServerWebSocket } from "bun";
import type { AppError } from "../lib/errors";
import type { Logger } from "../lib/log";
import type { KeyChange, WsAuthenticator } from "./auth";
import type { Principal } from "./connection/connection.events";

/** Bun's native socket. */
export type Raw = ServerWebSocket<unknown>;

/** The native socket of an Elysia socket (or the socket itself: Elysia passes raw ones to ping/pong). */
export const rawOf = (ws: object): Raw => ((ws as { raw?: Raw }).raw ?? ws) as Raw;

/** The upgrade request's context, which Elysia keeps as the socket's data. */
export type UpgradeContext = { request?: Request; server?: { requestIP(r: Request): { address: string } | null } | null };

/** A fresh connection id ("ws_" + 16 hex). */
export const newConnectionId = () => `ws_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

/** Says what is wrong with a message that is not a client frame. */
export function invalidReason(message: unknown): string {
  if (typeof message === "string") return "malformed message: expected a JSON object";
  if (message instanceof Uint8Array) return "binary messages are not accepted: send JSON text frames";
  const type = typeof message === "object" && message !== null ? (message as { type?: unknown }).type : undefined;
  if (typeof type !== "string") return 'malformed message: expected a JSON object with a "type"';
  if (!["auth", "subscribe", "unsubscribe", "ping", "pong"].includes(type)) return `unknown message type '${type}'`;
  return `invalid '${type}' message: see docs/websocket.md for its fields`;
}

/**
 * Re-checks the keys of open connections whenever keys change on any node: a revoked, disabled or
 * expired key loses its sockets too (`refuse` sends the error and closes).
 */
export function watchKeys(
  keys: Pick<WsAuthenticator, "recheck" | "onChange">,
  open: () => Iterable<{ principal: Principal | null; closed: boolean }>,
  refuse: (conn: { principal: Principal | null; closed: boolean }, why: AppError) => void,
  log: Logger,
): void {
  const affected = (p: Principal, change: KeyChange) => ("all" in change ? true : "keyId" in change ? p.keyId === change.keyId : p.userId === change.userId);
  keys.onChange((change) => {
    for (const c of open()) {
      const p = c.principal;
      if (!p || c.closed || !affected(p, change)) continue;
      keys.recheck(p).then(
        (refusal) => void (refusal && !c.closed && refuse(c, refusal)),
        (err) => log.warn("ws key re-check failed; connection kept", { err }),
      );
    }
  });
}
