import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the relay treats traffic:
 * - `pass`: forwards both ways, as if the service talked to the store directly;
 * - `refuse`: new connections are refused (nothing listens on the port), as when the store is down;
 *   connections already open carry on (call `cut()` to drop them too);
 * - `silence`: connections are accepted and kept, but nothing is forwarded either way, as when the
 *   store's host hangs or a network path drops packets. What was sent meanwhile is delivered once
 *   the relay passes again, as TCP would after a partition heals.
 */
export type RelayMode = 'pass' | 'refuse' | 'silence';

export interface TcpRelay {
  /** The relay's own port on 127.0.0.1: point the service at it instead of the store. */
  readonly port: number;
  readonly mode: RelayMode;
  /** `url` with its host and port replaced by the relay's (`postgres://…`, `redis://…`). */
  urlFor(url: string): string;
  set(mode: RelayMode): Promise<void>;
  /**
   * Sends new connections to another target; open ones stay where they are. In front of a process
   * that is restarted on another port, the relay keeps one address, as a load balancer does.
   */
  retarget(target: { host: string; port: number }): void;
  /** Destroys every open connection, both sides (the service sees its connections drop). */
  cut(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

/**
 * A TCP relay between a service and a store, for fault tests: outages are driven here, never by
 * stopping the machine's shared PostgreSQL or Redis.
 */
export async function startTcpRelay(initialTarget: { host: string; port: number }): Promise<TcpRelay> {
  let target = initialTarget;
  const pairs = new Set<Pair>();
  let mode: RelayMode = 'pass';
  let server: Server;
  let port = 0;

  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (mode !== 'silence') from.resume();
        });
      }
    });
  };

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  /** Joins a held client to the store; its bytes read so far wait in its paused stream. */
  const join = (pair: Pair) => {
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    forward(pair.client, upstream);
    forward(upstream, pair.client);
    pair.client.resume();
  };

  const accept = (client: Socket) => {
    const pair: Pair = { client, upstream: null };
    pairs.add(pair);
    client.pause();
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    if (mode === 'pass') join(pair);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(accept);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });

  await listen();

  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    retarget(next) {
      target = next;
    },
    urlFor(url: string) {
      const relayed = new URL(url);
      relayed.hostname = '127.0.0.1';
      relayed.port = String(port);
      return relayed.toString();
    },
    async set(next: RelayMode) {
      if (next === mode) return;
      const previous = mode;
      mode = next;
      if (next === 'refuse') {
        // With nothing listening, the kernel refuses new connections (ECONNREFUSED). close() stops
        // listening at once; its callback would wait for the open connections, which carry on.
        server.close();
      } else if (previous === 'refuse') {
        await listen();
      }
      for (const pair of pairs) {
        if (next === 'silence') {
          pair.client.pause();
          pair.upstream?.pause();
        } else if (!pair.upstream) {
          join(pair);
        } else {
          pair.client.resume();
          pair.upstream.resume();
        }
      }
    },
    cut() {
      for (const pair of [...pairs]) drop(pair);
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      if (mode !== 'refuse') await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
