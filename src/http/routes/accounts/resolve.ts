/**
 * What every accounts route needs first: the tracker (or a 503 where none runs), the market
 * catalog, and — for batches — the requested items resolved to tracked accounts, with per-item
 * errors for the rest. Asking about an account we do not track yet queues a venue lookup, so a
 * retry a few seconds later finds it.
 */
import type { Static } from "elysia";
import type { AccountView } from "../../../actors/accounts/account-view";
import type { AccountsReadModel } from "../../../actors/accounts/read-model";
import { AppError, badRequest } from "../../../lib/errors";
import type { Clock } from "../../../lib/clock";
import type { LiveMarketView, MarketInfo } from "../../../market/live";
import type { AccountsStore } from "../../../store/ports";
import type { ItemError } from "./model";

/** What the accounts routes read. */
export interface AccountsDeps {
  accounts: AccountsReadModel;
  store: AccountsStore;
  live: LiveMarketView;
  venue: string;
  clock: Clock;
}

/** The tracker's read model, or 503 where no tracker runs. */
export function requireTracker(deps: AccountsDeps): AccountsReadModel {
  if (!deps.accounts.available) {
    throw new AppError("service_unavailable", "tracked account state is not available on this node yet (the ingest leader has not published it, or has stopped publishing); retry shortly", {
      headers: { "retry-after": "5" },
    });
  }
  return deps.accounts;
}

/** The venue's markets by id. */
export async function catalog(deps: AccountsDeps): Promise<Map<number, MarketInfo>> {
  return new Map((await deps.live.markets(deps.venue)).map((m) => [m.marketId, m]));
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Requested items resolved: tracked accounts in request order (each once), errors for the rest. */
export interface Resolved {
  views: AccountView[];
  errors: Static<typeof ItemError>[];
  requested: number;
}

/** Resolves a batch's `accounts` (400 naming the first malformed item). */
export function resolveItems(model: AccountsReadModel, items: readonly (number | string)[], by: "index" | "l1_address" = "index"): Resolved {
  const views: AccountView[] = [];
  const errors: Static<typeof ItemError>[] = [];
  const seen = new Set<number | string>();
  const answered = new Set<number>();
  const lookup: number[] = [];
  items.forEach((item, i) => {
    if (by === "index") {
      const id = typeof item === "number" ? item : /^\d{1,16}$/.test(item) ? Number(item) : Number.NaN;
      if (!Number.isSafeInteger(id) || id < 0) throw badRequest(`accounts[${i}] must be an account index (a non-negative integer); got ${JSON.stringify(item)}`, { in: "body", field: `accounts[${i}]` });
      if (seen.has(id)) return;
      seen.add(id);
      const view = model.view(id);
      if (view && !view.account.missing) views.push(view);
      else if (view?.account.missing || model.missing(id)) errors.push({ account: item, code: "account_not_found", message: `account ${id} does not exist on the venue` });
      else {
        lookup.push(id);
        errors.push({ account: item, code: "account_not_tracked", message: `account ${id} is not tracked yet; a lookup has been queued, retry in a few seconds` });
      }
      return;
    }
    if (typeof item !== "string" || !ADDRESS.test(item)) throw badRequest(`accounts[${i}] must be an L1 address (0x and 40 hex digits); got ${JSON.stringify(item)}`, { in: "body", field: `accounts[${i}]` });
    const key = item.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    const owned = model.byAddress(item).filter((v) => !v.account.missing);
    if (owned.length > 0) {
      for (const v of owned) {
        if (answered.has(v.account.id)) continue;
        answered.add(v.account.id);
        views.push(v);
      }
    } else {
      model.lookupAddress(item);
      errors.push({ account: item, code: "account_not_tracked", message: `no tracked account belongs to ${item} yet; a lookup has been queued, retry in a few seconds` });
    }
  });
  if (lookup.length > 0) model.request(lookup);
  return { views, errors, requested: seen.size };
}
