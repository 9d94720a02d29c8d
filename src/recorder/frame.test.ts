import { describe, expect, test } from "bun:test";
import { encodeFrames, FRAME_HEADER_BYTES, scanFrames } from "./frame.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("journal framing", () => {
  test("frames round-trip in order", () => {
    const data = encodeFrames([bytes("one"), bytes("two"), bytes("three")]);
    const scan = scanFrames(data);
    expect(scan.payloads.map(text)).toEqual(["one", "two", "three"]);
    expect(scan.validBytes).toBe(data.byteLength);
    expect(scan.defect).toBeUndefined();
  });

  test("a tail cut inside the payload keeps the frames before it", () => {
    const data = encodeFrames([bytes("kept"), bytes("torn-away")]);
    const scan = scanFrames(data.subarray(0, data.byteLength - 3));
    expect(scan.payloads.map(text)).toEqual(["kept"]);
    expect(scan.defect?.kind).toBe("torn-payload");
    expect(scan.defect?.offset).toBe(FRAME_HEADER_BYTES + 4);
  });

  test("a tail cut inside the header is reported as a torn header", () => {
    const data = encodeFrames([bytes("kept"), bytes("next")]);
    const scan = scanFrames(data.subarray(0, FRAME_HEADER_BYTES + 4 + 5));
    expect(scan.payloads.map(text)).toEqual(["kept"]);
    expect(scan.defect).toEqual({ kind: "torn-header", offset: FRAME_HEADER_BYTES + 4, ignoredBytes: 5 });
  });

  test("a flipped payload byte fails the CRC and stops the scan", () => {
    const data = encodeFrames([bytes("kept"), bytes("flipped"), bytes("after")]);
    const at = 2 * FRAME_HEADER_BYTES + 4 + 1;
    data[at] = (data[at] ?? 0) ^ 0x01;
    const scan = scanFrames(data);
    expect(scan.payloads.map(text)).toEqual(["kept"]);
    expect(scan.defect?.kind).toBe("crc-mismatch");
  });

  test("a zero-filled tail is not mistaken for an empty frame", () => {
    const data = encodeFrames([bytes("kept")]);
    const padded = new Uint8Array(data.byteLength + 64);
    padded.set(data);
    const scan = scanFrames(padded);
    expect(scan.payloads.map(text)).toEqual(["kept"]);
    expect(scan.defect).toEqual({ kind: "bad-length", offset: data.byteLength, ignoredBytes: 64 });
  });

  test("empty payloads are refused on write", () => {
    expect(() => encodeFrames([new Uint8Array(0)])).toThrow(RangeError);
  });
});
