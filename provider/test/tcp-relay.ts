import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP relay on a fixed local port in front of a process that may die and come back on another
 * port, as a load balancer keeps one address: the issuer stays the same across restarts. A
 * connection whose far end dies is cut on both sides, as the client would see the crash.
 */
export interface TcpRelay {
  url: string;
  /** Sends new connections to `port` (connections already open stay where they are). */
  target(port: number): void;
  close(): Promise<void>;
}

export async function startTcpRelay(): Promise<TcpRelay> {
  let targetPort = 0;
  const open = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const cut = () => {
      downstream.destroy();
      upstream.destroy();
    };
    for (const socket of [downstream, upstream]) {
      open.add(socket);
      socket.on('error', cut).on('close', () => {
        open.delete(socket);
        cut();
      });
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    target(next) {
      targetPort = next;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
