export {};
/**
 * The raw baseline of bench/ws-fanout.ts: a bare Bun pub/sub server that relays the venue's
 * order_book/0 frames verbatim. Every socket that connects is subscribed to the topic; each frame
 * from the venue is one `server.publish`. No parsing, no auth, no state — what Bun alone costs.
 *
 *   bun bench/lib/raw-relay.ts <venue-ws-url>     (prints {"port":N} once it relays)
 */
const [venueUrl] = process.argv.slice(2);
if (!venueUrl) {
  console.error("usage: raw-relay <venue-ws-url>");
  process.exit(2);
}
const TOPIC = "order_book/0";
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("websocket only", { status: 400 })),
  websocket: {
    open: (ws) => void ws.subscribe(TOPIC),
    message() {},
  },
});
const venue = new WebSocket(venueUrl);
venue.onmessage = (e) => {
  const text = e.data as string;
  if (text.includes('"type":"ping"')) return venue.send('{"type":"pong"}');
  server.publish(TOPIC, text);
};
await new Promise((r) => (venue.onopen = (ev) => (venue.send(JSON.stringify({ type: "subscribe", channel: "order_book/0" })), r(ev))));
console.log(JSON.stringify({ port: server.port }));
