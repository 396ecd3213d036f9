import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { useAuth } from '../auth/auth-context.tsx';
import { Loading } from '../components/status.tsx';

// The code can be exchanged once: a second effect run (React's StrictMode) reuses the first attempt.
let attempt: Promise<string> | null = null;

/** /callback: the provider sends the browser back here with the code; exchange it and move on. */
export function CallbackPage() {
  const { completeSignIn } = useAuth();
  const navigate = useNavigate();
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    attempt ??= completeSignIn();
    attempt.then(
      (returnTo) => {
        attempt = null;
        void navigate(returnTo, { replace: true });
      },
      () => {
        attempt = null;
        setFailed(true);
      },
    );
  }, [completeSignIn, navigate]);

  if (!failed) return <Loading label="Signing you in…" />;
  return (
    <main id="main" className="centered">
      <div className="card">
        <h1>Sign-in did not complete</h1>
        <p role="alert">The answer from the provider could not be used (it may have expired or been used already).</p>
        <a className="button" href="/">
          Start again
        </a>
      </div>
    </main>
  );
}
