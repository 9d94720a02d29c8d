import { describe, expect, test } from "bun:test";
import { createIpMatcher, parseIp, parseIpBlock } from "./ip";

describe("IP allowlists", () => {
  test("parses IPv4 and the IPv6 text forms; refuses lookalikes", () => {
    expect(parseIp("192.168.0.1")?.bytes).toEqual(new Uint8Array([192, 168, 0, 1]));
    expect(parseIp("::1")?.bytes).toEqual(new Uint8Array([...Array(15).fill(0), 1]));
    expect(parseIp("2001:db8::ff00:42:8329")?.version).toBe(6);
    expect(parseIp("::ffff:10.0.0.1")?.bytes.slice(10)).toEqual(new Uint8Array([0xff, 0xff, 10, 0, 0, 1]));
    for (const bad of ["256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "1::2::3", "12345::", "fe80::1%eth0", "", "a.b.c.d", "1:2:3:4:5:6:7:8:9"]) {
      expect(parseIp(bad)).toBeNull();
    }
  });

  test("CIDR blocks: prefix bounds and no host bits", () => {
    expect(parseIpBlock("10.0.0.0/8")).toMatchObject({ version: 4, prefix: 8 });
    expect(parseIpBlock("2001:db8::/32")).toMatchObject({ version: 6, prefix: 32 });
    expect(parseIpBlock("10.0.0.1/8")).toEqual({ error: "has address bits set beyond its prefix length" });
    expect(parseIpBlock("10.0.0.0/33")).toEqual({ error: "has a prefix length outside 0-32" });
    expect(parseIpBlock("10.0.0.0/8/1")).toEqual({ error: "is not an IP address or CIDR block" });
  });

  test("matching: exact addresses, blocks, /0, both families, IPv4-mapped clients", () => {
    const allow = createIpMatcher(["203.0.113.7", "10.0.0.0/8", "2001:db8::/32", "::ffff:192.0.2.0/120"]);
    expect(allow("203.0.113.7")).toBe(true);
    expect(allow("203.0.113.8")).toBe(false);
    expect(allow("10.255.1.2")).toBe(true);
    expect(allow("11.0.0.1")).toBe(false);
    expect(allow("2001:db8:1::5")).toBe(true);
    expect(allow("2001:db9::5")).toBe(false);
    expect(allow("::ffff:10.1.1.1")).toBe(true);
    expect(allow("192.0.2.55")).toBe(true);
    expect(allow("not an ip")).toBe(false);
    expect(allow(undefined)).toBe(false);
    expect(createIpMatcher(["0.0.0.0/0"])("8.8.8.8")).toBe(true);
    expect(createIpMatcher(["0.0.0.0/0"])("::1")).toBe(false);
  });
});
