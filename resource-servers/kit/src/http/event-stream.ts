import type { Request, Response } from 'express';
import type { RevocationList } from '../revocation-list.ts';
import { subjectOf } from './express-auth.ts';

/** Why a stream ended. */
export type StreamEnd = 'revoked' | 'expired' | 'client-closed' | 'closed';

export interface EventStreamOptions {
  /** The list whose revocations end the stream (the token checks' `revocations`); without it only expiry does. */
  revocations?: Pick<RevocationList, 'onRevocation' | 'isRevoked'> | null;
  /** A comment line at least this often, so proxies and clients keep an idle stream open. Default 15 s. */
  heartbeatMs?: number;
}

export interface StreamEvent {
  /** A string is sent as it is (one `data:` line per line); anything else as JSON. */
  data: unknown;
  id?: string;
  event?: string;
}

export interface EventStream {
  send(event: StreamEvent): void;
  comment(text: string): void;
  /** Ends the stream from the service's side. */
  close(): void;
  /** Settles once, when the stream has ended, with why. */
  readonly ended: Promise<StreamEnd>;
  /** Aborted when the stream ends: hand it to whatever feeds the stream, to stop it. */
  readonly signal: AbortSignal;
}

/** setTimeout's longest delay; a later expiry is re-armed when it fires. */
const longestDelayMs = 2 ** 31 - 1;

const field = (name: string, value: string) =>
  value
    .split(/\r\n|\r|\n/)
    .map((line) => `${name}: ${line}\n`)
    .join('');

/**
 * Opens a Server-Sent Events stream on `res` for the request's verified subject (the `unauthenticated`
 * failure is thrown without one: put requireUser() before). The stream ends by itself when the token
 * it was opened with expires (a timer at `exp`) or is revoked (the revocation list says so), so a
 * long-lived answer never outlives the right to it; the client reconnects with a new token.
 */
export function openEventStream(req: Request, res: Response, options: EventStreamOptions = {}): EventStream {
  const subject = subjectOf(req);
  const controller = new AbortController();
  let settle: (end: StreamEnd) => void = () => {};
  const ended = new Promise<StreamEnd>((resolve) => (settle = resolve));
  let expiry: NodeJS.Timeout | undefined;

  // setHeader, not res.set: Express would add a charset to the content type.
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-store');
  // Proxies such as nginx would otherwise hold events back to fill a buffer.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();

  const write = (text: string) => {
    if (!controller.signal.aborted) res.write(text);
  };
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
  const stopWatching = options.revocations?.onRevocation(() => {
    if (options.revocations?.isRevoked(subject)) end('revoked', 'token revoked');
  });

  function end(reason: StreamEnd, note?: string) {
    if (controller.signal.aborted) return;
    if (note) res.write(`: ${note}\n\n`);
    controller.abort();
    clearInterval(heartbeat);
    clearTimeout(expiry);
    stopWatching?.();
    res.off('close', clientLeft);
    res.end();
    settle(reason);
  }
  function clientLeft() {
    end('client-closed');
  }
  function armExpiry() {
    const left = subject.expiresAt * 1000 - Date.now();
    if (left <= 0) return end('expired', 'token expired');
    expiry = setTimeout(armExpiry, Math.min(left, longestDelayMs));
  }

  res.on('close', clientLeft);
  if (options.revocations?.isRevoked(subject)) end('revoked', 'token revoked');
  else armExpiry();

  return {
    send(event) {
      const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
      const id = event.id !== undefined ? field('id', event.id) : '';
      const name = event.event !== undefined ? field('event', event.event) : '';
      write(`${id}${name}${field('data', data)}\n`);
    },
    comment(text) {
      write(`${field('', text)}\n`);
    },
    close() {
      end('closed');
    },
    ended,
    signal: controller.signal,
  };
}
