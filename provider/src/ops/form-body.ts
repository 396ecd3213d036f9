import type { IncomingMessage } from 'node:http';
import { parse } from 'node:querystring';
import type { Context, Next } from 'koa';

/**
 * A request's body as text, or null when it passes `limitBytes` (the rest is left unread and the
 * stream paused) or the client goes away before its end. Plain stream events: on the token endpoint and the sign-in form this runs on every
 * request, where an async iterator or a general body parser costs several times more.
 */
export function readBodyText(req: IncomingMessage, limitBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolve(null);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // A client that goes away mid-body never sends 'end': settle (a no-op after 'end') so that
    // nothing waits for it.
    req.once('close', () => resolve(null));
  });
}

export const isForm = (req: IncomingMessage) =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

/** An `application/x-www-form-urlencoded` body, parsed as oidc-provider parses forms. */
export const parseFormText = (text: string): Record<string, string | string[] | undefined> => parse(text);

/**
 * Koa middleware for our HTML forms: a urlencoded body of at most `limitBytes` becomes
 * `ctx.request.body`; anything else (another type, too long) leaves it unset, and the route's own
 * checks (CSRF first) answer.
 */
export function formBody(limitBytes: number) {
  return async function readForm(ctx: Context, next: Next) {
    if (isForm(ctx.req)) {
      const text = await readBodyText(ctx.req, limitBytes);
      if (text === null)
        ctx.set('Connection', 'close'); // the unread rest cannot be followed by another request
      else (ctx.request as { body?: unknown }).body = parseFormText(text);
    }
    await next();
  };
}
