import { useLocation } from 'react-router';
import { useAuth } from '../auth/auth-context.tsx';

/** Where a visitor without a session lands (also after signing out): one button to the provider. */
export function SignInPage(props: { notice?: string | undefined }) {
  const { signIn } = useAuth();
  const location = useLocation();
  const returnTo = location.pathname === '/' ? '/users' : `${location.pathname}${location.search}`;
  return (
    <main id="main" className="centered">
      <div className="card">
        <h1>Usher admin</h1>
        <p>Manage who may do what across the cinema: users, roles, permissions, clients and signing keys.</p>
        {props.notice ? (
          <p className="notice-box" role="status">
            {props.notice}
          </p>
        ) : null}
        <button type="button" onClick={() => void signIn(returnTo)}>
          Sign in
        </button>
      </div>
    </main>
  );
}
