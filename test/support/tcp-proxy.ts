/**
 * A TCP proxy in front of a real server (Redis) that a test can cut and restore, to simulate an
 * outage without touching the shared server: `cut()` closes every connection and stops listening
 * (clients see a dead peer and refused reconnects), `restore()` listens on the same port again.
 */
import type { Socket, TCPSocketListener } from "bun";

export interface TcpProxy {
  readonly port: number;
  cut(): void;
  restore(): void;
  stop(): void;
}

interface Pair {
  upstream?: Socket<Pair>;
  client?: Socket<Pair>;
  pending: Uint8Array[];
}

/** Starts a proxy on a random loopback port forwarding to host:port. */
export function startTcpProxy(target: { host: string; port: number }): TcpProxy {
  const live = new Set<Socket<Pair>>();
  let listener: TCPSocketListener<Pair> | undefined;
  let port = 0;

  const listen = () => {
    listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(client) {
          client.data = { client, pending: [] };
          live.add(client);
          void Bun.connect<Pair>({
            hostname: target.host,
            port: target.port,
            data: client.data,
            socket: {
              open(up) {
                up.data.upstream = up;
                live.add(up);
                for (const chunk of up.data.pending) up.write(chunk);
                up.data.pending = [];
              },
              data: (up, chunk) => void up.data.client?.write(chunk),
              close(up) {
                live.delete(up);
                up.data.client?.end();
              },
              error(up) {
                up.data.client?.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          if (client.data.upstream) client.data.upstream.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          live.delete(client);
          client.data.upstream?.end();
        },
        error(client) {
          client.data.upstream?.end();
        },
      },
    });
    port = listener.port;
  };
  listen();

  return {
    get port() {
      return port;
    },
    cut() {
      listener?.stop(true);
      listener = undefined;
      for (const s of live) s.end();
      live.clear();
    },
    restore() {
      if (!listener) listen();
    },
    stop() {
      this.cut();
    },
  };
}
