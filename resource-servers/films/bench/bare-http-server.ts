/**
 * Bench child, for context: bare Node `http` answering every request with the film-details answer
 * it is given (argv[2], JSON), with no framework, no logging and no token check: the ceiling any
 * Node server on this machine can reach for that answer. Prints {port} when listening.
 */
import { createServer } from 'node:http';
import { announceReady } from '@usher/test-support/bench';

const body = Buffer.from(process.argv[2] ?? '{}');
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };

const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

announceReady({ port: (server.address() as { port: number }).port }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
