import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A plain HTTP reverse proxy in front of a second Usher provider acting as a generic OpenID Connect
 * upstream (its ISSUER is the proxy's URL). Tests use it to make that upstream slow, unreachable, or
 * leave the email out of its userinfo answers, without touching the upstream itself. It listens on
 * 127.0.0.2 so that the browser keeps the two providers' cookies apart, as separate hosts would.
 */
export class UpstreamProxy {
  url = '';
  targetPort = 0;
  /** Requests whose path matches wait `delayMs` before they are forwarded. */
  delay: { path: RegExp; ms: number } | null = null;
  /** Requests whose path matches have their connection dropped. */
  drop: RegExp | null = null;
  /** Userinfo (`/me`) answers lose `email` and `email_verified`. */
  stripEmail = false;
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
    this.drop = null;
    this.stripEmail = false;
  }

  private async forward(req: IncomingMessage, res: ServerResponse) {
    const path = req.url ?? '/';
    if (this.drop?.test(path)) {
      req.socket.destroy();
      return;
    }
    if (this.delay?.path.test(path)) await sleep(this.delay.ms);
    const rewrite = this.stripEmail && path.startsWith('/me');
    const outgoing = request(
      { host: '127.0.0.1', port: this.targetPort, method: req.method, path, headers: req.headers },
      (answer) => {
        if (!rewrite) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          delete body.email;
          delete body.email_verified;
          const text = JSON.stringify(body);
          res.writeHead(answer.statusCode ?? 502, {
            ...answer.headers,
            'content-length': String(Buffer.byteLength(text)),
          });
          res.end(text);
        });
      },
    );
    outgoing.on('error', () => res.destroy());
    res.on('error', () => {});
    req.pipe(outgoing);
  }
}
