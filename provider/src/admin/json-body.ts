import type { IncomingMessage } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { HttpProblem } from '@usher/platform';
import type { Context, Next } from 'koa';
import { InvalidInput } from './request-validation.ts';

/** The largest JSON body the admin API reads; client metadata with every member is a few KB. */
export const jsonBodyLimitBytes = 64 * 1024;

const bodyError = (message: string) => ({ errors: [{ field: '(body)', in: 'body', message }] });
const tooLargeMessage = `The body must be at most ${jsonBodyLimitBytes / 1024} KB`;

/** 413: the body is over the limit. The rest is left unread, so the connection cannot be reused. */
class BodyTooLarge extends HttpProblem {
  constructor() {
    super(413, 'payload-too-large', 'Payload Too Large', tooLargeMessage, {
      extensions: bodyError(tooLargeMessage),
      headers: { Connection: 'close' },
    });
  }
}

const malformed = (message: string) => new InvalidInput([{ field: '(body)', in: 'body', message }]);
const notAnObject = () => malformed('The body must be a JSON object');

/** The request's bytes, or null once they pass the limit (the rest stays unread, the stream paused). */
function readBytes(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolve(null);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    // A client gone mid-body never sends 'end' (a no-op once settled).
    req.once('close', () => resolve(null));
  });
}

/** Undoes `Content-Encoding` (gzip and deflate, as before), the limit applying to what comes out. */
function decoded(bytes: Buffer, encoding: string): Buffer {
  const options = { maxOutputLength: jsonBodyLimitBytes };
  try {
    if (encoding === 'identity') return bytes;
    if (encoding === 'gzip') return gunzipSync(bytes, options);
    if (encoding === 'deflate') return inflateSync(bytes, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLarge();
    throw malformed(`The body is not valid ${encoding} data`);
  }
  throw malformed(`Content-Encoding ${encoding} is not supported`);
}

/** JSON's own text (RFC 8259 8.1): UTF-8, refused rather than repaired with U+FFFD when it is not. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Members that would reach an object's prototype when the body is merged into another object. */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  const prototypeOf =
    key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype');
  if (key === '__proto__' || prototypeOf) throw malformed(`The body must not contain a ${key} member`);
  return value;
}

/** Only objects and arrays, as before: a bare string or number is no request body here. */
function parsed(text: string): unknown {
  if (text === '') return {};
  if (!/^[ \t\n\r]*[[{]/.test(text)) throw notAnObject();
  try {
    return JSON.parse(text, refusePrototypeKeys);
  } catch (error) {
    if (error instanceof InvalidInput) throw error;
    throw notAnObject();
  }
}

/**
 * Reads a JSON body into `ctx.request.body` before the route's handler: 413 past the limit, 400 for
 * bytes that are not UTF-8 or text that is not a JSON object or array. A request of another type,
 * or with no body, gets an empty object, so its missing fields are named as for `{}`.
 */
export async function jsonBody(ctx: Context, next: Next) {
  const request = ctx.request as Context['request'] & { body?: unknown };
  if (!['POST', 'PUT', 'PATCH'].includes(ctx.method) || request.body !== undefined) return next();
  if (!ctx.request.is('application/json', '+json')) {
    request.body = {};
    return next();
  }
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > jsonBodyLimitBytes) throw new BodyTooLarge();
  const bytes = await readBytes(ctx.req, jsonBodyLimitBytes);
  if (bytes === null) throw new BodyTooLarge();
  let text: string;
  try {
    text = utf8.decode(decoded(bytes, (ctx.get('content-encoding') || 'identity').toLowerCase()));
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    throw malformed('The body must be UTF-8');
  }
  request.body = parsed(text);
  return next();
}
