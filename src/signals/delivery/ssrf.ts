/**
 * SSRF defence for webhook URLs, in two steps:
 *
 * 1. `checkWebhookUrl` — when a URL is stored: https only (http when the operator allows it), no
 *    credentials, no IP address written any way but the plain dotted quad (decimal 2130706433, hex
 *    0x7f.0.0.1, octal 0177.0.0.1 and short 127.1 all mean 127.0.0.1 to a URL parser), literal
 *    addresses must be public, and no local-only host names (localhost, single labels).
 * 2. `resolveWebhookTarget` — before each attempt: the host is resolved ONCE, refused if ANY of its
 *    addresses is not public, and the first address is returned for the sender to connect to, so a
 *    name that answers differently on a second lookup (DNS rebinding) cannot redirect the request.
 *
 * The allow-list (WEBHOOK_ALLOW_HOSTS) names hosts delivered to whatever they resolve to, and
 * address blocks delivered to although they are not public: local receivers, self-hosted setups.
 */
import { lookup } from "node:dns/promises";
import { parseIp, parseIpBlock, createIpMatcher } from "../../lib/ip.ts";
import { blockedAddressReason } from "./address-ranges.ts";

export interface WebhookPolicy {
  /** http:// URLs are accepted as well as https://. */
  readonly allowHttp: boolean;
  /** Host names (lower case, no trailing dot) that may resolve to anything. */
  readonly allowHosts: ReadonlySet<string>;
  /** True for an address inside an allow-listed block. */
  readonly allowAddress: (ip: string) => boolean;
}

/** Resolves a host name to every address it has (the first one is connected to). */
export type HostResolver = (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;

/** The system resolver (getaddrinfo, so /etc/hosts applies as it would to any client). */
export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Builds the policy; throws on an allow-list entry that looks like an address block but is not a valid one. */
export function createWebhookPolicy(opts: { allowHttp: boolean; allowHosts: readonly string[] }): WebhookPolicy {
  const hosts = new Set<string>();
  const blocks: string[] = [];
  for (const raw of opts.allowHosts) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry.includes("/") || parseIp(entry.replace(/^\[|\]$/g, ""))) {
      const block = parseIpBlock(entry.replace(/^\[|\]$/g, ""));
      if ("error" in block) throw new Error(`WEBHOOK_ALLOW_HOSTS entry ${JSON.stringify(raw)} ${block.error}`);
      blocks.push(entry.replace(/^\[|\]$/g, ""));
    } else {
      hosts.add(entry.replace(/\.$/, ""));
    }
  }
  const inBlocks = createIpMatcher(blocks);
  return Object.freeze({ allowHttp: opts.allowHttp, allowHosts: hosts, allowAddress: (ip: string) => inBlocks(ip) });
}

/** The policy the configuration describes. */
export const webhookPolicyFromConfig = (config: { webhookAllowHttp: boolean; webhookAllowHosts: readonly string[] }): WebhookPolicy =>
  createWebhookPolicy({ allowHttp: config.webhookAllowHttp, allowHosts: config.webhookAllowHosts });

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The host exactly as written in the URL text (between "//" and the path), without userinfo and port. */
function rawHost(text: string): { host: string; hasUserinfo: boolean } {
  const afterScheme = text.replace(/^[a-z][a-z0-9+.-]*:[\\/]*/i, "");
  const authority = afterScheme.split(/[/?#\\]/, 1)[0] ?? "";
  const at = authority.lastIndexOf("@");
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const host = hostPort.startsWith("[") ? hostPort.slice(0, hostPort.indexOf("]") + 1) : hostPort.replace(/:\d*$/, "");
  return { host: host.toLowerCase().replace(/\.$/, ""), hasUserinfo: at >= 0 };
}

const refuse = (reason: string): UrlCheck => ({ ok: false, reason });

/** Checks a URL as written, before it is stored (no DNS). */
export function checkWebhookUrl(text: string, policy: WebhookPolicy): UrlCheck {
  if (text.length > 2048) return refuse("must be at most 2048 characters");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse("is not a valid URL");
  }
  if (url.protocol !== "https:" && !(policy.allowHttp && url.protocol === "http:")) {
    return refuse(policy.allowHttp ? "must be an http:// or https:// URL" : "must be an https:// URL");
  }
  const raw = rawHost(text);
  if (url.username !== "" || url.password !== "" || raw.hasUserinfo) return refuse("must not contain credentials");
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "") return refuse("must name a host");
  if (host.startsWith("[")) {
    const ip = host.slice(1, -1);
    return addressAllowed(ip, policy) ? { ok: true, url } : refuse(`points at a non-public address (${blockedAddressReason(ip)})`);
  }
  if (parseIp(host)) {
    // The URL parser turns 2130706433, 0x7f.1 or 0177.0.0.1 into 127.0.0.1: any spelling but the plain one is refused.
    if (raw.host !== host) return refuse("writes an IP address in a non-standard form");
    return addressAllowed(host, policy) ? { ok: true, url } : refuse(`points at a non-public address (${blockedAddressReason(host)})`);
  }
  if (policy.allowHosts.has(host)) return { ok: true, url };
  if (host === "localhost" || host.endsWith(".localhost")) return refuse("points at a local host name");
  if (!host.includes(".")) return refuse("must use a fully qualified host name");
  return { ok: true, url };
}

const addressAllowed = (ip: string, policy: WebhookPolicy): boolean => blockedAddressReason(ip) === null || policy.allowAddress(ip);

export type ResolvedTarget =
  | { ok: true; url: URL; address: string; family: 4 | 6 }
  /** `retryable`: the lookup failed (the name may resolve later); otherwise the URL or its addresses are refused. */
  | { ok: false; reason: string; retryable: boolean };

/** Checks the URL again and resolves its host once; every address must pass. Returns the address to connect to. */
export async function resolveWebhookTarget(text: string, policy: WebhookPolicy, resolver: HostResolver = systemResolver): Promise<ResolvedTarget> {
  const checked = checkWebhookUrl(text, policy);
  if (!checked.ok) return { ok: false, reason: `URL ${checked.reason}`, retryable: false };
  const url = checked.url;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const literal = host.startsWith("[") ? host.slice(1, -1) : parseIp(host) ? host : null;
  if (literal !== null) return { ok: true, url, address: literal, family: literal.includes(":") ? 6 : 4 };
  let addresses: Array<{ address: string; family: 4 | 6 }>;
  try {
    addresses = await resolver(host);
  } catch (err) {
    return { ok: false, reason: `could not resolve ${host}: ${err instanceof Error ? err.message : String(err)}`, retryable: true };
  }
  if (addresses.length === 0) return { ok: false, reason: `${host} has no addresses`, retryable: true };
  if (!policy.allowHosts.has(host)) {
    const bad = addresses.find((a) => !addressAllowed(a.address, policy));
    if (bad) return { ok: false, reason: `${host} resolves to a non-public address (${bad.address}: ${blockedAddressReason(bad.address)})`, retryable: false };
  }
  const first = addresses[0]!;
  return { ok: true, url, address: first.address, family: first.address.includes(":") ? 6 : 4 };
}
