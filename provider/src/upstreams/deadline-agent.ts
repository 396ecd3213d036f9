import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { UpstreamTimeout } from './upstream-errors.ts';

/**
 * An HTTP(S) agent whose connections are destroyed after `timeoutMs` without activity (connecting,
 * waiting for headers or for the body). passport's OAuth client (node-oauth) has no timeout of its
 * own but takes an agent, so this is how a slow upstream turns into an error instead of a hang.
 */
export function deadlineAgent(url: string, timeoutMs: number): http.Agent {
  const agent = new URL(url).protocol === 'https:' ? new https.Agent() : new http.Agent();
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = connect(options, callback) as Socket | null | undefined;
    socket?.setTimeout(timeoutMs, () => socket.destroy(new UpstreamTimeout(`no answer within ${timeoutMs} ms`)));
    return socket;
  };
  return agent;
}
