import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { z } from 'zod';
import { readForm, UserAgent } from '../test/user-agent.ts';
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
  action: string;
  uid: string;
  headers: Record<string, string>;
  body: string;
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
  return {
    action: new URL(form.action, issuer).toString(),
    uid,
    body,
    resumePath: `/auth/${uid}`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      cookie: agent.cookieHeader(),
      'user-agent': 'usher-bench',
    },
  };
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

// node:http with keep-alive for the timed posts: fetch costs this process about a millisecond more
// per request, and on a small machine the load generator's CPU is taken from the server's.
const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; location: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', agent: keepAlive, headers }, (response) => {
      response.resume();
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? '' }),
      );
    });
    request.once('error', reject);
    request.end(body);
  });
}

/** Posts the sign-in form; a success is a 303 back to the authorization endpoint's resume URL. */
async function submit(pending: PendingSignIn): Promise<{ ok: boolean; status: number }> {
  const { status, location } = await post(pending.action, pending.headers, pending.body);
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
  for (const warm of queue.splice(0, options.warmup)) {
    if (!(await submit(warm)).ok) throw new Error('a warm-up sign-in failed');
  }
  const statusCounts: Record<string, number> = {};
  let succeeded = 0;
  let failed = 0;
  let last = performance.now();
  const started = last;
  const deadline = started + options.seconds * 1000;
  await inParallel(options.concurrency, async () => {
    for (let next = queue.shift(); next && performance.now() < deadline; next = queue.shift()) {
      const { ok, status } = await submit(next);
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
}
