/** A signed-in user whose token holds neither permissions_admin nor all_all. */
export function NoAccessPage(props: { who: string; onSignOut: () => void }) {
  return (
    <main id="main" className="centered">
      <div className="card">
        <h1>No access</h1>
        <p>
          You are signed in as <strong>{props.who}</strong>, but this account cannot manage Usher. The admin pages need
          the <code>permissions_admin</code> permission.
        </p>
        <p>If you should have access, ask an administrator to grant it, then sign in again.</p>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </div>
    </main>
  );
}
