/**
 * Shared building blocks of the Lighter wire schemas.
 *
 * Two forms exist where the real venue is looser than its own spec:
 * - the **strict** form (`Trade`, `DetailedAccount`, …): every field the SDK marks required; this is
 *   what the simulator sends, so SDK/ccxt clients never meet a missing field;
 * - the **accepted** form (`TradeIn`, `DetailedAccountIn`, …): what the live client tolerates from
 *   the real venue (zero-valued fields omitted, `null` instead of an empty list). A strict value is
 *   always a valid accepted value.
 */
import { Type as T, type TOptional, type TProperties, type TSchema } from "@sinclair/typebox";

/** A plain decimal string as the venue sends it: `"2361.31"`, `"-0.52"`, `"0"`. */
export const Dec = T.String({ pattern: "^-?\\d+(\\.\\d+)?$" });
export const Int = T.Integer();
export const Num = T.Number();
export const Str = T.String();
export const Bool = T.Boolean();

export type Optionals<P extends TProperties> = { [K in keyof P]: TOptional<P[K]> };
/** Marks every property optional (the accepted form of fields real payloads may omit). */
export function optionals<P extends TProperties>(props: P): Optionals<P> {
  const out: Record<string, TSchema> = {};
  for (const [key, schema] of Object.entries(props)) out[key] = T.Optional(schema);
  return out as Optionals<P>;
}
/** A list the SDK requires but the real venue has been seen to send as `null`. */
export const NullableList = <S extends TSchema>(item: S) => T.Union([T.Array(item), T.Null()]);

/** The `code`/`message` envelope beside every `/api/v1/*` payload (code 200 on success). */
export const Envelope = { code: Int, message: T.Optional(Str) };

