/**
 * The replay history thread (see history-worker.ts): opens a read connection to the store, then
 * answers each page query with the rendered page. The store was migrated by the main thread.
 */
import { openPostgresStore, openSqliteStore } from "../../store";
import type { MarketPageReader } from "./history";
import { storePageReader } from "./page-reader";
import { readsAheadFrom, toWire, type HistoryWorkerReply, type HistoryWorkerRequest } from "./history-worker";

declare const self: Worker;

let reader: Promise<MarketPageReader> | null = null;
const reply = (msg: HistoryWorkerReply, transfer: ArrayBuffer[] = []) => self.postMessage(msg, transfer);

self.onmessage = (e: MessageEvent<HistoryWorkerRequest>) => {
  const msg = e.data;
  if (msg.type === "open") {
    const loc = msg.location;
    const store = "sqlitePath" in loc ? openSqliteStore({ path: loc.sqlitePath }) : openPostgresStore({ url: loc.postgresUrl, schema: loc.schema, max: 4 });
    reader = store.then((s) => storePageReader(s.marketData, msg.venue, msg.limits, { readAhead: msg.readAhead ?? readsAheadFrom(loc) }));
    return;
  }
  const { id, q } = msg;
  if (!reader) return reply({ type: "failed", id, message: "the history worker was not opened" });
  reader.then((read) => read(q)).then(
    (page) => {
      const [wire, transfer] = toWire(page);
      reply({ type: "page", id, page: wire }, transfer);
    },
    (err: unknown) => reply({ type: "failed", id, message: err instanceof Error ? err.message : String(err) }),
  );
};
