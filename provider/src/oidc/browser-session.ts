import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

export interface BrowserSession {
  accountId: string;
  /** The session's `sid`: stable while the user stays signed in. */
  sessionUid: string;
}

/**
 * Who is signed in on this browser, from oidc-provider's session cookie, for our own pages outside
 * an interaction (the account page). Reading a session changes nothing and sets no cookie.
 */
export async function browserSession(provider: Provider, ctx: Context): Promise<BrowserSession | undefined> {
  // Without ctx.oidc, Session.get reads the cookie through a context it builds from req and res.
  const session = await provider.Session.get(ctx as unknown as KoaContextWithOIDC);
  return session.accountId ? { accountId: session.accountId, sessionUid: session.uid } : undefined;
}
