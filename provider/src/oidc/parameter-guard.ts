import { unstorableCharacterIn, type Logger, type UnstorableCharacter } from '@usher/platform';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { isForm, readBodyText } from '../ops/form-body.ts';

/** oidc-provider's own limit on a form body; it refuses anything longer. */
const formLimitBytes = 56 * 1024;

type Problem = UnstorableCharacter | 'invalid-utf8';
type Source = 'query' | 'body' | 'authorization';

interface Refusal {
  parameter: string;
  in: Source;
  problem: Problem;
}

const descriptions: Record<Problem, string> = {
  nul: 'must not contain NUL characters',
  'unpaired-surrogate': 'must not contain unpaired surrogates',
  'invalid-utf8': 'must be percent-encoded UTF-8',
};

// Only a NUL, an escaped NUL or an escaped non-ASCII byte can decode to something PostgreSQL cannot
// store or to a replacement character, so the usual request (ASCII, escaped punctuation) is let
// through after this test.
const escapedNulOrNonAscii = /%(?:00|[89a-f][0-9a-f])/i;
const suspicious = (text: string) => text.includes('\u0000') || escapedNulOrNonAscii.test(text);

/**
 * A name or value decoded as querystring decodes it, or null where its escapes are not UTF-8 (where
 * querystring would put U+FFFD).
 */
function decodeStrictly(raw: string): string | null {
  try {
    // querystring keeps a '%' that starts no escape as it is; so does this.
    return decodeURIComponent(raw.replace(/\+/g, ' ').replace(/%(?![0-9a-f]{2})/gi, '%25'));
  } catch {
    return null;
  }
}

/** A parameter's name for logs and error descriptions; a name that is itself the problem is not echoed. */
const shown = (name: string | null) =>
  name !== null && /^[\x21-\x7e]{1,64}$/.test(name) ? name : '(a parameter name)';

/** The first parameter of an urlencoded text (query string, form body) that cannot be stored as sent. */
function firstUnstorable(text: string, where: Source): Refusal | null {
  if (!suspicious(text)) return null;
  for (const pair of text.split('&')) {
    const split = pair.indexOf('=');
    const name = decodeStrictly(split === -1 ? pair : pair.slice(0, split));
    const value = split === -1 ? '' : decodeStrictly(pair.slice(split + 1));
    if (name === null || value === null) return { parameter: shown(name), in: where, problem: 'invalid-utf8' };
    const problem = unstorableCharacterIn(name) ?? unstorableCharacterIn(value);
    if (problem) return { parameter: shown(name), in: where, problem };
  }
  return null;
}

/**
 * The client id of `Authorization: Basic`, decoded as oidc-provider decodes it, or null when there is
 * none or it does not decode (oidc-provider refuses that itself, before any lookup).
 */
function basicClientId(authorization: string | undefined): string | null {
  const parts = authorization?.split(' ');
  if (parts?.length !== 2 || parts[0]!.toLowerCase() !== 'basic' || !/^[A-Za-z0-9+/]+={0,2}$/.test(parts[1]!))
    return null;
  const credentials = Buffer.from(parts[1]!, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  if (colon === -1) return null;
  try {
    return decodeURIComponent(credentials.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return null;
  }
}

/**
 * The form body, read once: the token endpoint's refresh limit may have read it already, and
 * oidc-provider takes it from `req.body` (as it does on the token endpoint).
 */
async function formText(ctx: KoaContextWithOIDC): Promise<string | null | undefined> {
  const req = ctx.req as typeof ctx.req & { body?: unknown };
  if (typeof req.body === 'string') return req.body;
  if (ctx.method !== 'POST' || !isForm(req) || !req.readable) return undefined;
  const text = await readBodyText(req, formLimitBytes);
  if (text !== null) req.body = text;
  return text;
}

const authorizationEndpoint = /^\/auth(\/|$)/;

/**
 * Refuses a protocol request whose parameters (query string, form body, the client id of Basic
 * authentication) hold text PostgreSQL cannot store (see storable-text.ts), or escapes that are not
 * UTF-8 (which oidc-provider would turn into U+FFFD, so the client would not get back what it sent),
 * before oidc-provider looks anything up or saves anything: otherwise a client lookup or the save of
 * a session or interaction fails in the database and the client gets a 500.
 *
 * Answers as oidc-provider answers its own errors on that route: the error page on the authorization
 * endpoint, else the page for a browser and OAuth error JSON for anyone else; 400 invalid_request,
 * or 401 invalid_client for the client id of Basic authentication (RFC 6749 §5.2).
 */
export function guardProtocolParameters(options: {
  issuer: string;
  logger: Logger;
  renderError: NonNullable<Configuration['renderError']>;
}) {
  const { issuer, logger, renderError } = options;

  /** The error as oidc-provider's own error handling would answer it on this route. */
  async function answer(ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) {
    const out = { error: error.error, error_description: error.error_description ?? error.error };
    ctx.status = error.statusCode;
    ctx.set('Cache-Control', 'no-store');
    if (error.statusCode === 401) {
      ctx.set(
        'WWW-Authenticate',
        `Basic realm="${issuer}", error="${out.error}", error_description="${out.error_description}"`,
      );
    }
    if (authorizationEndpoint.test(ctx.path) || ctx.accepts('json', 'html') === 'html') {
      await renderError(ctx, out, error);
    } else {
      ctx.body = out;
    }
  }

  function refuse(ctx: KoaContextWithOIDC, refusal: Refusal) {
    // A warning without the value (it may be a secret) or a stack: the client sent bad input, nothing broke.
    logger.warn(
      { endpoint: ctx.path, parameter: refusal.parameter, in: refusal.in, problem: refusal.problem },
      'protocol request refused: a parameter cannot be stored as sent',
    );
    return answer(
      ctx,
      refusal.in === 'authorization'
        ? new errors.InvalidClientAuth()
        : new errors.InvalidRequest(`${refusal.parameter} ${descriptions[refusal.problem]}`),
    );
  }

  return async function guardParameters(ctx: KoaContextWithOIDC, next: () => Promise<unknown>) {
    const inQuery = firstUnstorable(ctx.querystring, 'query');
    if (inQuery) return refuse(ctx, inQuery);
    const body = await formText(ctx);
    if (body === null) {
      // Too long or cut off: the unread rest cannot be followed by another request on this connection.
      ctx.set('Connection', 'close');
      return answer(ctx, new errors.InvalidRequest('request body too large'));
    }
    const inBody = body === undefined ? null : firstUnstorable(body, 'body');
    if (inBody) return refuse(ctx, inBody);
    if (ctx.method === 'POST') {
      const clientId = basicClientId(ctx.get('authorization') || undefined);
      const problem = clientId === null ? null : unstorableCharacterIn(clientId);
      if (problem) return refuse(ctx, { parameter: 'client_id', in: 'authorization', problem });
    }
    await next();
  };
}

/**
 * A client id PostgreSQL cannot store is no client's: oidc-provider answers "client not found" for it
 * instead of a lookup that fails in the database. Ids in parameters are refused before this
 * (guardProtocolParameters); this covers ids that arrive inside a JWT (the `sub` of a
 * client_assertion, the `aud` of an id_token_hint), read before any signature is checked.
 */
export function refuseUnstorableClientIds(provider: Provider, logger: Logger): void {
  const Client = provider.Client;
  const find = Client.find.bind(Client);
  Client.find = async (id: string) => {
    const problem = typeof id === 'string' ? unstorableCharacterIn(id) : null;
    if (!problem) return find(id);
    logger.warn(
      { endpoint: Provider.ctx?.path, parameter: 'client_id', in: 'jwt', problem },
      'protocol request refused: a client id PostgreSQL cannot store',
    );
    return undefined;
  };
}
