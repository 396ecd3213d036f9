import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { UpstreamTimeout } from './upstream-errors.ts';

/**
 * An HTTP(S) agent whose every call must be over within `timeoutMs`, from connecting to the last byte
 * of the body: a total deadline, so that an upstream that trickles its answer cannot hold the user
 * longer than an idle one. passport's OAuth client (node-oauth) has no timeout of its own but takes an
 * agent, so this is how a slow upstream turns into an error instead of a hang.
 */
export function deadlineAgent(url: string, timeoutMs: number): http.Agent {
  // Without keep-alive each call has a connection of its own, so the connection's deadline is the call's.
  const agent =
    new URL(url).protocol === 'https:' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = connect(options, callback) as Socket | null | undefined;
    if (socket) {
      // Destroying the connection aborts its request, which fails with this error.
      const deadline = setTimeout(
        () => socket.destroy(new UpstreamTimeout(`no complete answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.once('close', () => clearTimeout(deadline));
    }
    return socket;
  };
  return agent;
}
