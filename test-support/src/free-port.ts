import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago, for a server that must know its URL first. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
