import { timingSafeEqual } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { securityEventsPollPath, superuserPermission } from '@usher/contracts';
import { BadRequest, Forbidden, HttpProblem } from '@usher/platform';
import type { Context } from 'koa';
import type { AccessStore } from '../access/access-store.ts';
import type { ClientStore } from '../clients/client-store.ts';
import type { EventStore } from './event-store.ts';
import { receivePermission } from './event-types.ts';
import type { SecurityEventFeed } from './feed.ts';

export const pollPath = securityEventsPollPath;

function secretMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** HTTP Basic client authentication (RFC 6749 2.3.1: both parts form-urlencoded). */
async function authenticateReceiver(ctx: Context, clients: ClientStore, access: AccessStore): Promise<string> {
  const challenge = { 'WWW-Authenticate': 'Basic realm="usher security events"' };
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(ctx.get('authorization'));
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const unauthorized = new HttpProblem(401, 'invalid-client', 'Unauthorized', 'Client authentication failed', {
    headers: challenge,
  });
  if (colon < 1) throw unauthorized;
  let clientId: string;
  let secret: string;
  try {
    clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    throw unauthorized;
  }
  // No client id holds a NUL character, and PostgreSQL text cannot: looking one up would be a 500.
  if (clientId.includes('\u0000')) throw unauthorized;
  const client = await clients.find(clientId);
  if (!client?.client_secret || !secretMatches(client.client_secret, secret)) throw unauthorized;
  const { permissions } = await access.claimsForClient(clientId, null);
  if (!permissions.includes(receivePermission) && !permissions.includes(superuserPermission)) {
    throw new Forbidden(`The client needs the ${receivePermission} permission`);
  }
  return clientId;
}

/**
 * RFC 8936 poll delivery: a receiver acknowledges what it has applied and gets what it has not seen,
 * as `{"sets": {jti: SET}, "moreAvailable"}`. Every receiver has its own queue (its acknowledgements).
 */
export function securityEventRoutes(deps: {
  events: EventStore;
  feed: SecurityEventFeed;
  clients: ClientStore;
  access: AccessStore;
}): Router {
  const router = new Router();
  router.post(pollPath, bodyParser({ enableTypes: ['json'], jsonLimit: '256kb', onError: () => {} }), async (ctx) => {
    const receiver = await authenticateReceiver(ctx, deps.clients, deps.access);
    const body = ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('The body must be a JSON object');
    const ack = body.ack ?? [];
    if (!Array.isArray(ack) || !ack.every((item) => typeof item === 'string'))
      throw new BadRequest('ack must be an array of SET jti strings');
    const maxEvents = body.maxEvents ?? 100;
    if (typeof maxEvents !== 'number' || !Number.isInteger(maxEvents) || maxEvents < 0 || maxEvents > 1000) {
      throw new BadRequest('maxEvents must be an integer from 0 to 1000');
    }
    await deps.events.acknowledge(receiver, ack as string[]);
    const { events, more } =
      maxEvents === 0 ? { events: [], more: false } : await deps.events.pending(receiver, maxEvents);
    const sets: Record<string, string> = {};
    for (const event of events) sets[event.jti] = await deps.feed.sign(event);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { sets, moreAvailable: more };
  });
  return router;
}
