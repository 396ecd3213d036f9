import type { ReactNode } from 'react';
import { NavLink } from 'react-router';

const sections = [
  { to: '/users', label: 'Users' },
  { to: '/roles', label: 'Roles' },
  { to: '/permissions', label: 'Permissions' },
  { to: '/clients', label: 'Clients' },
  { to: '/keys', label: 'Keys' },
  { to: '/audit', label: 'Audit log' },
];

/** The frame of every admin page: the sections, who is signed in, and sign-out. */
export function Layout(props: { who: string; onSignOut: () => void; children: ReactNode }) {
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Usher admin</span>
        <nav aria-label="Sections">
          <ul>
            {sections.map((section) => (
              <li key={section.to}>
                <NavLink to={section.to}>{section.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <span className="who">{props.who}</span>
          <button type="button" className="button-secondary" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
