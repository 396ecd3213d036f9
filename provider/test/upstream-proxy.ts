import { randomBytes } from 'node:crypto';
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request that went through the proxy, as the upstream received it. */
export interface ProxiedRequest {
  method: string;
  /** Path and query string. */
  path: string;
  body: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * A plain HTTP reverse proxy in front of a second Usher provider acting as a generic OpenID Connect
 * upstream (its ISSUER is the proxy's URL). Tests use it to see what Usher and the browser send to
 * that upstream, and to make the upstream slow, unreachable, tamper with its answers or leave the email
 * out of its userinfo answers, without touching the upstream itself. It listens on 127.0.0.2 so that
 * the browser keeps the two providers' cookies apart, as separate hosts would.
 */
export class UpstreamProxy {
  url = '';
  targetPort = 0;
  /** Every request, from the browser (authorization) and from Usher (discovery, token, userinfo). */
  readonly requests: ProxiedRequest[] = [];
  /** Requests whose path matches wait `ms` before they are forwarded. */
  delay: { path: RegExp; ms: number } | null = null;
  /** Answers to requests whose path matches are sent one byte every `trickleMs`: slow, never idle. */
  trickle: RegExp | null = null;
  trickleMs = 200;
  /** Requests whose path matches have their connection dropped. */
  drop: RegExp | null = null;
  /** Userinfo (`/me`) answers lose `email` and `email_verified`. */
  stripEmail = false;
  /** Redirects carrying an authorization response get another, random `state`. */
  tamperState = false;
  private server: Server | null = null;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.forward(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.2', resolve));
    this.url = `http://127.0.0.2:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset() {
    this.delay = null;
    this.trickle = null;
    this.drop = null;
    this.stripEmail = false;
    this.tamperState = false;
  }

  /** The query of each request whose path (without the query) is `pathname`, oldest first. */
  queries(pathname: string): URLSearchParams[] {
    return this.requests
      .map((proxied) => new URL(proxied.path, this.url))
      .filter((url) => url.pathname === pathname)
      .map((url) => url.searchParams);
  }

  private async forward(req: IncomingMessage, res: ServerResponse) {
    const path = req.url ?? '/';
    const body = await readAll(req);
    this.requests.push({ method: req.method ?? 'GET', path, body: body.toString('utf8') });
    if (this.drop?.test(path)) {
      req.socket.destroy();
      return;
    }
    if (this.delay?.path.test(path)) await sleep(this.delay.ms);
    const answer = this.rewrite(path, await this.send(req, path, body));
    res.on('error', () => {});
    if (this.trickle?.test(path)) return this.sendSlowly(res, answer);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  private send(req: IncomingMessage, path: string, body: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        { host: '127.0.0.1', port: this.targetPort, method: req.method, path, headers: req.headers },
        (answer) => {
          readAll(answer).then(
            (content) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: content }),
            reject,
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  private rewrite(path: string, answer: Answer): Answer {
    let { headers, body } = answer;
    if (this.stripEmail && path.startsWith('/me')) {
      const claims = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      delete claims.email;
      delete claims.email_verified;
      body = Buffer.from(JSON.stringify(claims));
    }
    const location = headers.location ? new URL(headers.location, this.url) : null;
    if (this.tamperState && location?.searchParams.has('state') && location.searchParams.has('code')) {
      location.searchParams.set('state', randomBytes(32).toString('base64url'));
      headers = { ...headers, location: location.toString() };
    }
    // The answer is sent whole (not chunked), with the length of what is sent.
    const { 'transfer-encoding': _chunked, ...rest } = headers;
    return { status: answer.status, headers: { ...rest, 'content-length': String(body.length) }, body };
  }

  private async sendSlowly(res: ServerResponse, answer: Answer) {
    res.writeHead(answer.status, answer.headers);
    for (const byte of answer.body) {
      if (res.destroyed) return;
      res.write(Buffer.of(byte));
      await sleep(this.trickleMs);
    }
    res.end();
  }
}
