import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { User, UserManager } from 'oidc-client-ts';
import { createAdminClient, type AdminClient } from '../api/admin-client.ts';
import { hasAdminRights } from './admin-rights.ts';

export type AuthState =
  | { status: 'loading' }
  | { status: 'signed-out'; notice?: string }
  | { status: 'signed-in'; email: string; name: string; admin: boolean };

interface AuthValue {
  state: AuthState;
  /** Sends the browser to the provider's sign-in page; it comes back to `returnTo`. */
  signIn(returnTo?: string): Promise<void>;
  /** RP-initiated logout at the provider, then back to this app's start page. */
  signOut(): Promise<void>;
  /** Completes a sign-in on /callback; answers where to go next. */
  completeSignIn(): Promise<string>;
  client: AdminClient;
  manager: UserManager;
}

const AuthContext = createContext<AuthValue | null>(null);

function stateOf(user: User | null, notice?: string): AuthState {
  if (!user || user.expired) return notice ? { status: 'signed-out', notice } : { status: 'signed-out' };
  const profile = user.profile;
  const email = profile.email ?? profile.sub;
  return { status: 'signed-in', email, name: profile.name ?? email, admin: hasAdminRights(user.access_token) };
}

const endedNotice = 'Your session has ended. Sign in again to continue.';

export function AuthProvider(props: { manager: UserManager; issuer: string; children: ReactNode }) {
  const { manager, issuer } = props;
  const [state, setState] = useState<AuthState>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    const update = (next: AuthState) => {
      if (live) setState(next);
    };
    const onLoaded = (user: User) => update(stateOf(user));
    const onUnloaded = () => update({ status: 'signed-out' });
    const onRenewError = () => update({ status: 'signed-out', notice: endedNotice });
    manager.events.addUserLoaded(onLoaded);
    manager.events.addUserUnloaded(onUnloaded);
    manager.events.addSilentRenewError(onRenewError);
    void (async () => {
      if (window.location.pathname === '/callback') return; // completeSignIn decides
      let user = await manager.getUser().catch(() => null);
      if (user?.expired && user.refresh_token) user = await manager.signinSilent().catch(() => null);
      update(stateOf(user));
    })();
    return () => {
      live = false;
      manager.events.removeUserLoaded(onLoaded);
      manager.events.removeUserUnloaded(onUnloaded);
      manager.events.removeSilentRenewError(onRenewError);
    };
  }, [manager]);

  const client = useMemo(
    () =>
      createAdminClient({
        issuer,
        accessToken: async () => (await manager.getUser())?.access_token ?? null,
        renew: async () => (await manager.signinSilent().catch(() => null))?.access_token ?? null,
        onRefused: (status) => {
          if (status === 403) {
            setState((current) => (current.status === 'signed-in' ? { ...current, admin: false } : current));
          } else {
            void manager.removeUser().then(() => setState({ status: 'signed-out', notice: endedNotice }));
          }
        },
      }),
    [manager, issuer],
  );

  const signIn = useCallback((returnTo = '/users') => manager.signinRedirect({ state: { returnTo } }), [manager]);
  // signoutRedirect forgets the tokens here and sends the ID token as id_token_hint.
  const signOut = useCallback(() => manager.signoutRedirect(), [manager]);
  const completeSignIn = useCallback(async () => {
    const user = await manager.signinRedirectCallback();
    setState(stateOf(user));
    const returnTo = (user.state as { returnTo?: unknown } | undefined)?.returnTo;
    // Only paths of this app: never an address someone slipped into the state.
    return typeof returnTo === 'string' && returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/users';
  }, [manager]);

  const value = useMemo(
    () => ({ state, signIn, signOut, completeSignIn, client, manager }),
    [state, signIn, signOut, completeSignIn, client, manager],
  );
  return <AuthContext.Provider value={value}>{props.children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
