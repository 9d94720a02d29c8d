/**
 * A value that is either at hand or on its way. Hot paths (an authenticated read served from
 * memory) get their answer without a promise and its microtask when every step is a cache hit,
 * and still work unchanged when a step has to go to a store. `await` accepts both.
 */
export type Maybe<T> = T | Promise<T>;

/**
 * `f(v)` now when `v` is at hand, after it resolves otherwise. A throw in `f` is thrown, or rejects,
 * accordingly. Only native promises count as on their way (what every port returns).
 */
export function andThen<T, R>(v: Maybe<T>, f: (v: T) => Maybe<R>): Maybe<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}
