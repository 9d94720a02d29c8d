/**
 * `account_all` frames: recognising them before parsing, and turning a parsed one into the
 * client's `account` event. The feed can hand them on unparsed (`deferAccountFrames`), since they
 * only feed account tracking, which runs after the burst's fan-out.
 */
import type { LighterEventOf } from "./events.ts";
import { channelNumber, wsValidators } from "./protocol.ts";

/** Ends `"type":"update/account_all"` and `"type":"subscribed/account_all"`; in no other frame of the protocol. */
export const ACCOUNT_FRAME_MARK = '/account_all"';

export type AccountFrameType = "update/account_all" | "subscribed/account_all";

export const isAccountFrameType = (type: unknown): type is AccountFrameType => type === "update/account_all" || type === "subscribed/account_all";

/**
 * The `account` event of a parsed account frame received at `ts`: "malformed" when it fails
 * validation, null when it is not for a tracked account.
 */
export function accountEvent(frame: unknown, type: AccountFrameType, tracked: ReadonlySet<number>, ts: number): LighterEventOf<"account"> | "malformed" | null {
  if (!wsValidators.account_all.Check(frame)) return "malformed";
  const id = channelNumber(frame.channel, "account_all");
  if (id === null || !tracked.has(id)) return null;
  return { type: "account", accountId: id, snapshot: type === "subscribed/account_all", account: frame, ts };
}

/**
 * Parses the text of an `account_all` frame received at `ts` into its `account` event: null when
 * it is not for a tracked account, "malformed" when it is not JSON, not an account frame, or fails
 * validation. Never throws.
 */
export function parseAccountFrameText(text: string, tracked: ReadonlySet<number>, ts: number): LighterEventOf<"account"> | "malformed" | null {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return "malformed";
  }
  const type = typeof frame === "object" && frame !== null ? (frame as { type?: unknown }).type : undefined;
  return isAccountFrameType(type) ? accountEvent(frame, type, tracked, ts) : "malformed";
}
