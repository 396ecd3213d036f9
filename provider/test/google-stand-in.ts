import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, generateKeyPair } from 'jose';

/** What Google's OpenID userinfo endpoint returns about the user who signs in next. */
export interface GoogleAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
}

/**
 * How the stand-in behaves on the next flows: `normal`, `wrong-state` (answers with another state),
 * `slow-token` (the token endpoint waits `delayMs`), `trickle-token` (the token endpoint answers at
 * once but sends its body one byte every `trickleMs`, so the connection is never idle), `reset-token`
 * (the token endpoint drops the connection: Google unreachable).
 */
export type GoogleBehaviour = 'normal' | 'wrong-state' | 'slow-token' | 'trickle-token' | 'reset-token';

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function listen(server: Server, port = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A local stand-in for Google's OAuth 2.0 / OpenID Connect web server flow, speaking the real
 * protocol over HTTP: the authorization endpoint (an account chooser page with Continue and Cancel),
 * the token endpoint (client authentication, single-use codes bound to the redirect URI, PKCE S256)
 * and the OpenID userinfo endpoint (bearer token). Tests choose the account and the behaviour.
 * As at Google (oauth2.googleapis.com), the token endpoint has a host of its own, which tests can
 * take down so that connections to it are refused.
 */
export class GoogleStandIn {
  readonly clientId = `${randomBytes(6).toString('hex')}.apps.googleusercontent.com`;
  readonly clientSecret = `GOCSPX-${randomBytes(18).toString('base64url')}`;
  url = '';
  /** The redirect URI registered for the client (Usher's callback). */
  redirectUri = '';
  account: GoogleAccount = { sub: '1' };
  behaviour: GoogleBehaviour = 'normal';
  delayMs = 0;
  /** With `trickle-token`: the pause between two bytes of the token answer. */
  trickleMs = 200;
  /** Every authorization request, token request and redirect back, for assertions. */
  readonly authorizationRequests: URLSearchParams[] = [];
  readonly tokenRequests: { params: URLSearchParams; authorization: string | undefined }[] = [];
  readonly redirects: string[] = [];

  private server: Server | null = null;
  private tokenServer: Server | null = null;
  private tokenUrl = '';
  private readonly codes = new Map<
    string,
    { account: GoogleAccount; redirectUri: string; challenge: string | null; scope: string; used: boolean }
  >();
  private readonly tokens = new Map<string, GoogleAccount>();
  private signingKey: CryptoKey | null = null;

  endpoints() {
    return {
      GOOGLE_CLIENT_ID: this.clientId,
      GOOGLE_CLIENT_SECRET: this.clientSecret,
      GOOGLE_AUTHORIZATION_URL: `${this.url}/o/oauth2/v2/auth`,
      GOOGLE_TOKEN_URL: `${this.tokenUrl}/token`,
      GOOGLE_USERINFO_URL: `${this.url}/v1/userinfo`,
    };
  }

  async start(): Promise<void> {
    this.signingKey = (await generateKeyPair('RS256')).privateKey;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { error: 'internal_failure', error_description: String(error) });
      });
    };
    this.server = createServer(handler);
    this.url = await listen(this.server);
    this.tokenServer = createServer(handler);
    this.tokenUrl = await listen(this.tokenServer);
  }

  async stop(): Promise<void> {
    if (this.server) await close(this.server);
    if (this.tokenServer?.listening) await close(this.tokenServer);
  }

  /** Takes the token endpoint's host down: connections to it are refused until `acceptTokenConnections`. */
  async refuseTokenConnections(): Promise<void> {
    if (this.tokenServer?.listening) await close(this.tokenServer);
  }

  /** Brings the token endpoint's host back, on the port Usher was configured with. */
  async acceptTokenConnections(): Promise<void> {
    if (this.tokenServer && !this.tokenServer.listening)
      await listen(this.tokenServer, Number(new URL(this.tokenUrl).port));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/o/oauth2/v2/auth') return this.authorize(url.searchParams, res);
    if (req.method === 'POST' && url.pathname === '/o/oauth2/v2/auth/decision') {
      return this.decide(new URLSearchParams(await readBody(req)), res);
    }
    if (req.method === 'POST' && url.pathname === '/token') return this.token(req, res);
    if (req.method === 'GET' && url.pathname === '/v1/userinfo') return this.userinfo(req, url, res);
    json(res, 404, { error: 'not_found' });
  }

  /** Google checks the request, then shows its account chooser; errors are its "Error 400" page. */
  private authorize(params: URLSearchParams, res: ServerResponse) {
    this.authorizationRequests.push(params);
    const problem =
      params.get('client_id') !== this.clientId
        ? 'invalid_client'
        : params.get('redirect_uri') !== this.redirectUri
          ? 'redirect_uri_mismatch'
          : params.get('response_type') !== 'code'
            ? 'unsupported_response_type'
            : !(params.get('scope') ?? '').split(' ').includes('email')
              ? 'invalid_scope'
              : params.get('code_challenge') && params.get('code_challenge_method') !== 'S256'
                ? 'invalid_request'
                : null;
    if (problem) {
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Error 400</title><h1>Error 400: ${problem}</h1>`);
      return;
    }
    const hidden = [...params].map(
      ([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`,
    );
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>Sign in - Google Accounts</title>
      <h1>Choose an account</h1><p>to continue to Usher</p>
      <form method="post" action="/o/oauth2/v2/auth/decision">${hidden.join('')}
        <button name="decision" value="allow">Continue as ${escape(this.account.name ?? this.account.email ?? this.account.sub)}</button>
        <button name="decision" value="deny">Cancel</button>
      </form></html>`);
  }

  private decide(params: URLSearchParams, res: ServerResponse) {
    const target = new URL(params.get('redirect_uri') ?? this.redirectUri);
    const state = params.get('state');
    if (params.get('decision') !== 'allow') {
      target.searchParams.set('error', 'access_denied');
    } else {
      const code = `4/0${randomBytes(24).toString('base64url')}`;
      this.codes.set(code, {
        account: { ...this.account },
        redirectUri: params.get('redirect_uri') ?? '',
        challenge: params.get('code_challenge'),
        scope: params.get('scope') ?? '',
        used: false,
      });
      target.searchParams.set('code', code);
      target.searchParams.set('scope', params.get('scope') ?? '');
      target.searchParams.set('authuser', '0');
      target.searchParams.set('prompt', 'consent');
    }
    if (state) {
      target.searchParams.set(
        'state',
        this.behaviour === 'wrong-state' ? randomBytes(32).toString('base64url') : state,
      );
    }
    this.redirects.push(target.toString());
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  private async token(req: IncomingMessage, res: ServerResponse) {
    const params = new URLSearchParams(await readBody(req));
    this.tokenRequests.push({ params, authorization: req.headers.authorization });
    if (this.behaviour === 'reset-token') {
      req.socket.destroy();
      return;
    }
    if (this.behaviour === 'slow-token') await sleep(this.delayMs);
    let clientId = params.get('client_id');
    let secret = params.get('client_secret');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const [id, password] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(password ?? '');
    }
    if (clientId !== this.clientId || secret !== this.clientSecret) {
      return json(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    }
    if (params.get('grant_type') !== 'authorization_code') return json(res, 400, { error: 'unsupported_grant_type' });
    const grant = this.codes.get(params.get('code') ?? '');
    if (!grant || grant.used) return json(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' });
    grant.used = true;
    if (grant.redirectUri !== params.get('redirect_uri')) return json(res, 400, { error: 'redirect_uri_mismatch' });
    if (grant.challenge) {
      const verifier = params.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
      }
    }
    const accessToken = `ya29.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(accessToken, grant.account);
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ ...grant.account, azp: this.clientId })
      .setProtectedHeader({ alg: 'RS256', kid: 'stand-in', typ: 'JWT' })
      .setIssuer(this.url)
      .setAudience(this.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(this.signingKey!);
    const answer = {
      access_token: accessToken,
      expires_in: 3599,
      scope: grant.scope,
      token_type: 'Bearer',
      id_token: idToken,
    };
    if (this.behaviour === 'trickle-token') return this.trickle(res, answer);
    json(res, 200, answer);
  }

  /** A complete, correct answer, sent so slowly that only a total deadline ends the wait. */
  private async trickle(res: ServerResponse, body: unknown) {
    const bytes = Buffer.from(JSON.stringify(body));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length) });
    for (const byte of bytes) {
      if (res.destroyed) return;
      res.write(Buffer.of(byte));
      await sleep(this.trickleMs);
    }
    res.end();
  }

  private userinfo(req: IncomingMessage, url: URL, res: ServerResponse) {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('access_token');
    const account = token ? this.tokens.get(token) : undefined;
    if (!account) {
      return json(
        res,
        401,
        { error: 'invalid_request', error_description: 'Invalid Credentials' },
        { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      );
    }
    json(res, 200, account);
  }
}
