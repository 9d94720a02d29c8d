const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A fresh UUID v4. */
export const newRequestId = (): string => crypto.randomUUID();

/** True when `value` is a well-formed UUID v4 (an incoming X-Request-Id we may honour). */
export const isUuidV4 = (value: string | null | undefined): value is string =>
  typeof value === "string" && value.length === 36 && UUID_V4.test(value);

/** `prefix` + "_" + 24 random hex digits (96 bits from the CSPRNG): "sig_…", "msg_…". */
export const newPrefixedId = (prefix: string): string =>
  `${prefix}_${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("hex")}`;
