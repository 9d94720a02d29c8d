import { describe, expect, test } from "bun:test";
import { blockedAddressReason } from "./address-ranges.ts";
import { type HostResolver, checkWebhookUrl, createWebhookPolicy, resolveWebhookTarget, webhookPolicyFromConfig } from "./ssrf.ts";

const strict = createWebhookPolicy({ allowHttp: false, allowHosts: [] });
const httpOk = createWebhookPolicy({ allowHttp: true, allowHosts: [] });
const fixed = (...addresses: string[]): HostResolver => async () => addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("checkWebhookUrl (at creation)", () => {
  test.each([
    ["http://2130706433/", "non-standard form"],
    ["http://134744072/", "non-standard form"], // 8.8.8.8 in decimal: refused for its spelling, not its address
    ["http://0x7f.0.0.1/", "non-standard form"],
    ["http://0x7f000001/", "non-standard form"],
    ["http://0177.0.0.1/", "non-standard form"],
    ["http://127.1/", "non-standard form"],
    ["http://0/", "non-standard form"],
    ["http://%31%32%37.0.0.1/", "non-standard form"],
    ["https://user:pw@example.com/", "credentials"],
    ["https://token@example.com/", "credentials"],
    ["https://@example.com/", "credentials"],
    ["http://127.0.0.1:80@example.com/", "credentials"],
    ["http://127.0.0.1/", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[::ffff:7f00:1]/", "loopback"],
    ["http://[::127.0.0.1]/", "loopback"],
    ["http://[64:ff9b::7f00:1]/", "loopback"],
    ["http://[2002:7f00:1::]/", "loopback"],
    ["http://169.254.169.254/latest/meta-data", "link-local"],
    ["http://[fd00:ec2::254]/", "unique local"],
    ["http://100.64.0.1/", "carrier-grade NAT"],
    ["http://10.1.2.3/", "private"],
    ["http://172.31.255.255/", "private"],
    ["http://192.168.0.10/", "private"],
    ["http://[fc00::1]/", "unique local"],
    ["http://[fe80::1]/", "link-local"],
    ["http://224.0.0.251/", "multicast"],
    ["http://[ff02::1]/", "multicast"],
    ["http://0.0.0.0/", "this-network"],
    ["http://255.255.255.255/", "broadcast"],
    ["http://[::]/", "unspecified"],
    ["http://localhost:8080/", "local host name"],
    ["http://api.localhost/", "local host name"],
    ["http://intranet/", "fully qualified"],
    ["ftp://example.com/", "http:// or https://"],
    ["not a url", "not a valid URL"],
  ])("%s is refused (%s)", (url, reason) => {
    const r = checkWebhookUrl(url, httpOk);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  test.each(["https://example.com/hook", "https://hooks.example.com:8443/a?b=c", "http://8.8.8.8/", "http://[2606:4700::1111]/", "http://[::ffff:8.8.8.8]/"])(
    "%s is accepted",
    (url) => expect(checkWebhookUrl(url, httpOk).ok).toBe(true),
  );

  test("http:// needs the policy's consent", () => {
    expect(checkWebhookUrl("http://example.com/", strict)).toEqual({ ok: false, reason: "must be an https:// URL" });
    expect(checkWebhookUrl("https://example.com/", strict).ok).toBe(true);
  });

  test("allow-listed hosts and blocks pass; everything else stays refused", () => {
    const local = createWebhookPolicy({ allowHttp: true, allowHosts: ["localhost", "127.0.0.0/8", "[::1]", "receiver"] });
    for (const url of ["http://localhost:9/", "http://127.0.0.1:9/", "http://127.3.2.1/", "http://[::1]:9/", "http://receiver/"]) {
      expect(checkWebhookUrl(url, local).ok).toBe(true);
    }
    for (const url of ["http://10.0.0.1/", "http://2130706433/", "http://169.254.169.254/", "http://u:p@localhost/"]) {
      expect(checkWebhookUrl(url, local).ok).toBe(false);
    }
  });

  test("a malformed allow-list block is a startup error; the config's lists become a policy", () => {
    expect(() => createWebhookPolicy({ allowHttp: false, allowHosts: ["10.0.0.1/33"] })).toThrow("WEBHOOK_ALLOW_HOSTS");
    const p = webhookPolicyFromConfig({ webhookAllowHttp: true, webhookAllowHosts: ["Hooks.Local.", "192.168.1.0/24"] });
    expect(p.allowHttp).toBe(true);
    expect(p.allowHosts.has("hooks.local")).toBe(true);
    expect(p.allowAddress("192.168.1.7")).toBe(true);
    expect(p.allowAddress("192.168.2.7")).toBe(false);
  });
});

describe("resolveWebhookTarget (at delivery)", () => {
  test("pins the first address of a public name, resolving it once", async () => {
    let calls = 0;
    const resolver: HostResolver = async () => (calls++, [{ address: "93.184.215.14", family: 4 }, { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 }]);
    const r = await resolveWebhookTarget("https://example.com/hook", strict, resolver);
    expect(r).toMatchObject({ ok: true, address: "93.184.215.14", family: 4 });
    expect(calls).toBe(1);
  });

  test.each([
    ["a name resolving to loopback", fixed("127.0.0.1")],
    ["a name with one private address among public ones", fixed("93.184.215.14", "10.0.0.7")],
    ["a name resolving to the metadata address", fixed("169.254.169.254")],
    ["a name resolving to an IPv4-mapped loopback", fixed("::ffff:127.0.0.1")],
    ["a name resolving to IPv6 loopback", fixed("::1")],
  ])("refuses %s, without retry", async (_, resolver) => {
    const r = await resolveWebhookTarget("https://rebind.example.com/", strict, resolver);
    expect(r).toMatchObject({ ok: false, retryable: false });
  });

  test("a failed or empty lookup is retryable; a URL refused as written is not", async () => {
    const failing: HostResolver = async () => {
      throw new Error("ENOTFOUND");
    };
    expect(await resolveWebhookTarget("https://gone.example.com/", strict, failing)).toMatchObject({ ok: false, retryable: true });
    expect(await resolveWebhookTarget("https://empty.example.com/", strict, fixed())).toMatchObject({ ok: false, retryable: true });
    expect(await resolveWebhookTarget("http://example.com/", strict, fixed("93.184.215.14"))).toMatchObject({ ok: false, retryable: false });
  });

  test("literal addresses are not looked up; allow-listed names and blocks reach local addresses", async () => {
    const never: HostResolver = async () => {
      throw new Error("must not be called");
    };
    expect(await resolveWebhookTarget("http://8.8.8.8/", httpOk, never)).toMatchObject({ ok: true, address: "8.8.8.8" });
    const byName = createWebhookPolicy({ allowHttp: true, allowHosts: ["receiver.test"] });
    expect(await resolveWebhookTarget("http://receiver.test:9/", byName, fixed("127.0.0.1"))).toMatchObject({ ok: true, address: "127.0.0.1" });
    const byBlock = createWebhookPolicy({ allowHttp: true, allowHosts: ["127.0.0.0/8"] });
    expect(await resolveWebhookTarget("http://receiver.example.com/", byBlock, fixed("127.0.0.1"))).toMatchObject({ ok: true });
    expect(await resolveWebhookTarget("http://receiver.example.com/", byBlock, fixed("127.0.0.1", "10.0.0.1"))).toMatchObject({ ok: false });
  });
});

describe("blocked address ranges", () => {
  test.each(["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])("%s is public", (ip) => {
    expect(blockedAddressReason(ip)).toBeNull();
  });
  test.each(["127.0.0.1", "10.0.0.1", "100.127.255.255", "169.254.169.254", "172.16.0.1", "192.168.1.1", "0.1.2.3", "198.18.0.1", "240.0.0.1",
    "::1", "::", "fc00::1", "fd00:ec2::254", "fe80::1", "ff02::1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::", "2001::1", "2001:db8::1", "not-an-ip"])(
    "%s is blocked",
    (ip) => expect(blockedAddressReason(ip)).not.toBeNull(),
  );
});
