import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import { readForm, UserAgent } from '@usher/test-support';
import { issuerReady } from './token-endpoint-load.ts';

/** What usher-server.ts --sign-in prints when ready. */
export const signInServerReady = issuerReady.extend({
  signIn: z.object({ email: z.string(), password: z.string(), clientId: z.string(), redirectUri: z.string() }),
});
export type SignInServerReady = z.infer<typeof signInServerReady>;

/**
 * A browser stopped on our sign-in page, and the form post it will send: built while preparing, so
 * that the timed window spends the load generator's CPU (taken from the server's on a small machine)
 * on sending and reading only.
 */
interface PendingSignIn {
  uid: string;
  /** The whole HTTP/1.1 request (POST /interaction/:uid/login with cookies and form), as sent. */
  request: Buffer;
  /** Where a successful sign-in sends the browser back to. */
  resumePath: string;
}

export interface SignInRun {
  perSecond: number;
  succeeded: number;
  failed: number;
  statusCounts: Record<string, number>;
  seconds: number;
  /** The prepared interactions ran out before the window closed (the rate is still over the time used). */
  ranOut: boolean;
}

async function inParallel(concurrency: number, work: (worker: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => work(worker)));
}

/** Authorization request with PKCE, followed to our sign-in page, as a browser does. */
async function openSignInPage(issuer: string, server: SignInServerReady): Promise<PendingSignIn> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: server.signIn.clientId,
    response_type: 'code',
    redirect_uri: server.signIn.redirectUri,
    scope: 'openid email',
    state: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const agent = new UserAgent('usher-bench');
  const { response, url: at } = await agent.follow(url.toString(), issuer);
  const uid = /\/interaction\/([^/?]+)$/.exec(new URL(at).pathname)?.[1];
  if (response.status !== 200 || !uid) throw new Error(`authorization request ended at ${response.status} ${at}`);
  const form = readForm(await response.text());
  if (!form.fields.csrf) throw new Error('sign-in page has no csrf field');
  const body = new URLSearchParams({
    ...form.fields,
    email: server.signIn.email,
    password: server.signIn.password,
  }).toString();
  const action = new URL(form.action, issuer);
  const head = [
    `POST ${action.pathname}${action.search} HTTP/1.1`,
    `Host: ${action.host}`,
    'Content-Type: application/x-www-form-urlencoded',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `Cookie: ${agent.cookieHeader()}`,
    'User-Agent: usher-bench',
    '',
    '',
  ].join('\r\n');
  return { uid, request: Buffer.from(head + body), resumePath: `/auth/${uid}` };
}

/** Opens `count` sign-in pages, `concurrency` at a time, before anything is timed. */
export async function prepareSignIns(
  server: SignInServerReady,
  count: number,
  concurrency = 4,
): Promise<PendingSignIn[]> {
  const issuer = `http://127.0.0.1:${server.port}`;
  const pending: PendingSignIn[] = [];
  await inParallel(concurrency, async () => {
    while (pending.length < count) {
      const slot = pending.length;
      pending.length += 1;
      pending[slot] = await openSignInPage(issuer, server);
    }
  });
  return pending;
}

/**
 * One keep-alive connection that sends prepared requests and reads just the status, Location and
 * Content-Length of each answer. The load generator shares the machine's two cores with the server,
 * its database and argon2, which the bare verify rate has to itself; node:http's client costs about
 * a millisecond of CPU per sign-in here, this about a fifth of that.
 */
class FormPoster {
  private socket: Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: {
    resolve: (answer: { status: number; location: string }) => void;
    reject: (error: Error) => void;
  } | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      this.parse();
    });
    const fail = (error: Error) => {
      if (this.socket === socket) this.socket = null;
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed before the answer')));
    return socket;
  }

  private parse() {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end === -1 || !this.waiting) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
    if (Number.isNaN(length)) {
      this.waiting.reject(new Error(`answer without Content-Length: ${head.split('\r\n')[0]}`));
      this.waiting = null;
      return;
    }
    if (this.buffered.length < end + 4 + length) return;
    this.buffered = this.buffered.subarray(end + 4 + length);
    const waiting = this.waiting;
    this.waiting = null;
    if (/\r\nconnection: *close/i.test(head)) {
      this.socket?.destroy();
      this.socket = null;
    }
    waiting.resolve({
      status: Number(head.slice(9, 12)),
      location: /\r\nlocation: *([^\r]*)/i.exec(head)?.[1] ?? '',
    });
  }

  post(request: Buffer): Promise<{ status: number; location: string }> {
    if (this.waiting) throw new Error('one request at a time per connection');
    this.socket ??= this.open();
    this.buffered = Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket!.write(request);
    });
  }

  close() {
    this.socket?.destroy();
    this.socket = null;
  }
}

/** Posts the sign-in form; a success is a 303 back to the authorization endpoint's resume URL. */
async function submit(poster: FormPoster, pending: PendingSignIn): Promise<{ ok: boolean; status: number }> {
  const { status, location } = await poster.post(pending.request);
  return { ok: status === 303 && location.endsWith(pending.resumePath), status };
}

/**
 * Fires the prepared sign-ins, `concurrency` in flight, for `seconds`: none starts after the window
 * closes, and the rate is over the time until the last one answered.
 */
export async function measureSignIns(
  server: SignInServerReady,
  pending: PendingSignIn[],
  options: { concurrency: number; seconds: number; warmup: number },
): Promise<SignInRun> {
  const queue = [...pending];
  const posters = Array.from({ length: options.concurrency }, () => new FormPoster('127.0.0.1', server.port));
  try {
    for (const warm of queue.splice(0, options.warmup)) {
      if (!(await submit(posters[0]!, warm)).ok) throw new Error('a warm-up sign-in failed');
    }
    const statusCounts: Record<string, number> = {};
    let succeeded = 0;
    let failed = 0;
    let last = performance.now();
    const started = last;
    const deadline = started + options.seconds * 1000;
    await inParallel(options.concurrency, async (worker) => {
      for (let next = queue.shift(); next && performance.now() < deadline; next = queue.shift()) {
        const { ok, status } = await submit(posters[worker]!, next);
        statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        if (ok) succeeded += 1;
        else failed += 1;
        last = performance.now();
      }
    });
    const seconds = (last - started) / 1000;
    return {
      perSecond: succeeded / seconds,
      succeeded,
      failed,
      statusCounts,
      seconds,
      ranOut: queue.length === 0 && last < deadline,
    };
  } finally {
    for (const poster of posters) poster.close();
  }
}
