import { alert, csrfInput, field, layout } from './layout.ts';
import { html } from './html.ts';

/** "Prove it's you": the upstream's verified email belongs to an account; its password links the two. */
export function linkAccountPage(input: {
  action: string;
  csrf: string;
  clientName: string;
  upstreamName: string;
  email: string;
  hasPassword: boolean;
  error?: string | undefined;
  cancelUrl: string;
}): string {
  return layout(
    `Link your ${input.upstreamName} account`,
    html`<p class="lead">
        You already have an account with <strong>${input.email}</strong>. To sign in to
        <strong>${input.clientName}</strong> with ${input.upstreamName} from now on, confirm it is yours.
      </p>
      ${alert(input.error)}
      ${
        input.hasPassword
          ? html`<form method="post" action="${input.action}" novalidate>
              ${csrfInput(input.csrf)}
              <input type="hidden" name="email" value="${input.email}" autocomplete="username" />
              ${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true, autofocus: true })}
              <button type="submit" class="primary">Link and sign in</button>
            </form>`
          : html`<p>
              This account has no password. Sign in the way you usually do, then link ${input.upstreamName} on your
              account page.
            </p>`
      }
      <p class="links"><a href="${input.cancelUrl}">Sign in another way</a></p>`,
  );
}

export interface IdentityItem {
  upstreamName: string;
  email: string | null;
  linkedAt: Date;
  unlinkAction: string;
  canUnlink: boolean;
}

const day = (value: Date) => value.toISOString().slice(0, 10);

/** The signed-in user's ways to sign in: password, linked identities (with unlink) and upstreams to link. */
export function identitiesPage(input: {
  email: string;
  hasPassword: boolean;
  identities: IdentityItem[];
  linkable: { name: string; url: string }[];
  csrf: string;
  notice?: string | undefined;
  error?: string | undefined;
}): string {
  return layout(
    'Ways to sign in',
    html`<p class="lead">Signed in as <strong>${input.email}</strong></p>
      ${alert(input.error)} ${alert(input.notice, 'info')}
      <ul class="scopes">
        <li>Password: ${input.hasPassword ? 'set' : 'not set'}</li>
        ${input.identities.map(
          (identity) =>
            html`<li>
              <strong>${identity.upstreamName}</strong>${identity.email ? html` · ${identity.email}` : null} · linked
              ${day(identity.linkedAt)}
              ${
                identity.canUnlink
                  ? html`<form method="post" action="${identity.unlinkAction}">
                      ${csrfInput(input.csrf)}
                      <button type="submit" class="secondary">Unlink ${identity.upstreamName}</button>
                    </form>`
                  : html`<p class="hint">This is your only way to sign in, so it cannot be unlinked.</p>`
              }
            </li>`,
        )}
      </ul>
      ${
        input.linkable.length
          ? html`<ul class="upstreams">
              ${input.linkable.map(
                (upstream) =>
                  html`<li><a class="button secondary" href="${upstream.url}">Link ${upstream.name}</a></li>`,
              )}
            </ul>`
          : null
      }`,
  );
}
