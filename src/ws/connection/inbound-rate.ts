/**
 * The inbound message budget of one connection: a token bucket (30 messages/s, burst 60 by the
 * guide). Pure: time comes in as an argument, the bucket is a value.
 */

/** Tokens left and when they were counted. */
export interface TokenBucket {
  readonly tokens: number;
  readonly at: number;
}

/** A budget rule: steady rate and burst size. */
export interface RateRule {
  perSecond: number;
  burst: number;
}

/** A full bucket at `at`. */
export const fullBucket = (rule: RateRule, at: number): TokenBucket => ({ tokens: rule.burst, at });

/** Tokens available at `now` (refilled since `bucket.at`, capped at the burst). Time never runs backwards. */
export function available(bucket: TokenBucket, rule: RateRule, now: number): number {
  const elapsed = Math.max(0, now - bucket.at);
  return Math.min(rule.burst, bucket.tokens + (elapsed * rule.perSecond) / 1000);
}

/** The bucket after one message at `now`; callers check `available(...) >= 1` first. */
export const take = (bucket: TokenBucket, rule: RateRule, now: number): TokenBucket => ({
  tokens: available(bucket, rule, now) - 1,
  at: Math.max(now, bucket.at),
});
