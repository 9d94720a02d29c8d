/**
 * Test helpers for /ws: API keys obtained the way an operator would (register, then the admin
 * route creates a key at a tier), and a WebSocket client that records parsed frames and lets a
 * test await the next one matching a predicate.
 */

/** A frame as received (parsed JSON). */
export type Frame = Record<string, unknown> & { type: string };

/** Registers a fresh user through the public route, then creates a key at `tier` through /admin. */
export async function issueKey(baseUrl: string, adminToken: string, tier: string): Promise<string> {
  const email = `ws-${crypto.randomUUID().slice(0, 12)}@example.com`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const json = (await res.json()) as { success: boolean; data: Record<string, unknown> };
    if (!res.ok) throw new Error(`${path} → ${res.status} ${JSON.stringify(json)}`);
    return json.data;
  };
  await post("/api/v1/auth/register", { email, password: "a long enough password", tos_accepted: true });
  const created = await post(`/admin/users/${encodeURIComponent(email)}/keys`, { tier }, { authorization: `Bearer ${adminToken}` });
  return created.api_key as string;
}

export interface WsClient {
  readonly frames: Frame[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
  /** The first frame (already received or future) matching `pred`. */
  next(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Frames received from now on (a fresh view). */
  tap(fn: (f: Frame) => void): () => void;
  close(): void;
}

/** Opens a WebSocket to `url` and resolves once it is open. */
export async function openWs(url: string): Promise<WsClient> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  const taps = new Set<(f: Frame) => void>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
  });
  ws.onmessage = (e) => {
    const f = JSON.parse(String(e.data)) as Frame;
    frames.push(f);
    for (const fn of taps) fn(f);
    for (const w of [...waiters]) if (w.pred(f)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(f));
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`could not open ${url}`));
  });
  return {
    frames,
    closed,
    send: (msg) => ws.send(typeof msg === "string" ? msg : JSON.stringify(msg)),
    next(pred, timeoutMs = 5_000) {
      const seen = frames.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; last: ${JSON.stringify(frames.at(-1))?.slice(0, 200)}`)), timeoutMs);
        waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      });
    },
    tap(fn) {
      taps.add(fn);
      return () => void taps.delete(fn);
    },
    close: () => ws.close(),
  };
}

/** Opens a connection and authenticates it with `key`; resolves after `authenticated`. */
export async function authedWs(url: string, key: string): Promise<WsClient> {
  const c = await openWs(url);
  c.send({ type: "auth", api_key: key });
  await c.next((f) => f.type === "authenticated" || f.type === "error");
  const last = c.frames.at(-1)!;
  if (last.type !== "authenticated") throw new Error(`auth refused: ${JSON.stringify(last)}`);
  return c;
}
