import passport from 'passport';
import googleOAuth from 'passport-google-oauth20';
import type { OAuth2 } from 'oauth';
import { deadlineAgent } from './deadline-agent.ts';
import { StateMismatch, UpstreamCancelled, UpstreamUnavailable, asUpstreamFailure } from './upstream-errors.ts';
import type { FlowBinding, FlowStore, UpstreamFlow } from './upstream-flow-store.ts';
import { profileFromClaims } from './upstream-profile.ts';
import type { Upstream } from './upstream-registry.ts';

export interface GoogleOptions {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  callbackUrl: string;
  timeoutMs: number;
  flows: FlowStore;
}

/** The little of an HTTP request passport-oauth2 reads (our callback URL is absolute, so no headers). */
interface PassportRequest {
  query: Record<string, string>;
  /** On a callback: the flow already taken from the store, which our state store checks the state against. */
  flow?: UpstreamFlow;
}

type Outcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'success'; profile: googleOAuth.Profile }
  | { kind: 'failure'; status: number | undefined };

type Done = (error: Error | null, result?: unknown, info?: unknown) => void;

/**
 * "Sign in with Google" through passport and passport-google-oauth20, driven from Koa without
 * koa-passport: passport's `authenticate` middleware runs against a minimal request (the query) and
 * response (which only ever receives a redirect), and its callback hands us the outcome.
 */
export function createGoogleUpstream(options: GoogleOptions): Upstream {
  const { flows } = options;

  // passport-oauth2 state store (the 5- and 4-argument forms, which carry the PKCE verifier): flows
  // live in our flow store, not in an express session.
  const stateStore = {
    store(_req: PassportRequest, verifier: string, binding: FlowBinding, _meta: unknown, done: Done) {
      flows.save({ ...binding, upstream: 'google', codeVerifier: verifier }).then(
        (state) => done(null, state),
        (error: Error) => done(error),
      );
    },
    verify(req: PassportRequest, state: string, _meta: unknown, done: Done) {
      if (req.flow && req.flow.state === state) done(null, req.flow.codeVerifier, {});
      else done(null, false, { message: 'state mismatch' });
    },
  };

  const strategy = new googleOAuth.Strategy(
    {
      clientID: options.clientId,
      clientSecret: options.clientSecret,
      callbackURL: options.callbackUrl,
      authorizationURL: options.authorizationUrl,
      tokenURL: options.tokenUrl,
      userProfileURL: options.userinfoUrl,
      scope: ['openid', 'email', 'profile'],
      pkce: true,
      store: stateStore as unknown as googleOAuth.StrategyOptions['store'],
    },
    (_accessToken: string, _refreshToken: string, profile: googleOAuth.Profile, done: googleOAuth.VerifyCallback) =>
      done(null, profile as unknown as Express.User),
  );
  // passport-oauth2 exposes its OAuth client to subclasses; we set what it cannot take as options:
  // the access token goes in a header, not in the userinfo URL, and slow calls time out.
  const oauth2 = (strategy as unknown as { _oauth2: OAuth2 })._oauth2;
  oauth2.useAuthorizationHeaderforGET(true);
  oauth2.setAgent(deadlineAgent(options.tokenUrl, options.timeoutMs));

  const authenticator = new passport.Authenticator();
  authenticator.use('google', strategy);

  function run(req: PassportRequest, authenticateOptions: Record<string, unknown>): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const headers = new Map<string, string>();
      const res = {
        statusCode: 200,
        setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
        end: () => resolve({ kind: 'redirect', location: headers.get('location') ?? '' }),
      };
      const middleware = authenticator.authenticate(
        'google',
        { session: false, ...authenticateOptions },
        (error: unknown, user: unknown, _info: unknown, status: unknown) => {
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else if (user) resolve({ kind: 'success', profile: user as googleOAuth.Profile });
          else resolve({ kind: 'failure', status: typeof status === 'number' ? status : undefined });
        },
      ) as (req: unknown, res: unknown, next: (error?: unknown) => void) => void;
      middleware(req, res, (error) => reject(error instanceof Error ? error : new Error('passport did not decide')));
    });
  }

  return {
    id: 'google',
    name: 'Google',
    method: 'google',

    async begin(binding) {
      // An object `state` makes passport-oauth2 call our store, which generates and keeps the state.
      const outcome = await run({ query: {} }, { state: binding });
      if (outcome.kind !== 'redirect' || !outcome.location) throw new UpstreamUnavailable('passport did not redirect');
      return outcome.location;
    },

    async complete(flow, response) {
      // Without a code passport would start a new authorization; the caller handles `error` answers.
      if (!response.get('code')) throw new UpstreamUnavailable('no authorization code in the answer');
      let outcome: Outcome;
      try {
        outcome = await run({ query: Object.fromEntries(response), flow }, {});
      } catch (error) {
        throw asUpstreamFailure(error);
      }
      if (outcome.kind === 'failure') {
        throw outcome.status === 403 ? new StateMismatch('state mismatch') : new UpstreamCancelled('access denied');
      }
      if (outcome.kind !== 'success') throw new UpstreamUnavailable('unexpected redirect during the code exchange');
      return profileFromClaims(outcome.profile._json as unknown as Record<string, unknown>);
    },
  };
}
