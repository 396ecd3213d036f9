import { alert, csrfInput, field, layout } from './layout.ts';
import { html, raw } from './html.ts';

export interface UpstreamButton {
  name: string;
  url: string;
}

/**
 * Cancelling is a POST with the CSRF token, not a link: a link would let any site cancel a sign-in
 * in progress by sending the browser to it. A link-looking button keeps it usable without script.
 */
function abortForm(action: string, csrf: string, label: string) {
  return html`<form method="post" action="${action}" class="inline">
    ${csrfInput(csrf)}<button type="submit" class="link">${label}</button>
  </form>`;
}

export function signInPage(input: {
  action: string;
  csrf: string;
  clientName: string;
  email?: string;
  error?: string | undefined;
  registerUrl: string;
  abortUrl: string;
  upstreams: UpstreamButton[];
}): string {
  return layout(
    'Sign in',
    html`<p class="lead">to continue to <strong>${input.clientName}</strong></p>
      ${alert(input.error)}
      <form
        method="post"
        action="${input.action}"
        novalidate
        ${input.error ? html`aria-describedby="form-error"` : null}
      >
        ${csrfInput(input.csrf)}
        ${field({ name: 'email', label: 'Email', type: 'email', value: input.email, autocomplete: 'username', required: true, autofocus: !input.email })}
        ${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true, autofocus: Boolean(input.email) })}
        <button type="submit" class="primary">Sign in</button>
      </form>
      ${
        input.upstreams.length
          ? html`<div class="divider"><span>or</span></div>
              <ul class="upstreams">
                ${input.upstreams.map((u) => html`<li><a class="button secondary" href="${u.url}">Sign in with ${u.name}</a></li>`)}
              </ul>`
          : null
      }
      <div class="links">
        <a href="${input.registerUrl}">Create an account</a> · ${abortForm(input.abortUrl, input.csrf, 'Cancel')}
      </div>`,
  );
}

export function registerPage(input: {
  action: string;
  csrf: string;
  clientName: string;
  values: { email?: string; first_name?: string; last_name?: string };
  errors: Record<string, string>;
  error?: string | undefined;
  signInUrl: string;
}): string {
  const { values, errors } = input;
  // Focus lands on the first field to fix, or on the email field of a fresh form.
  const focus = ['email', 'password', 'first_name', 'last_name'].find((name) => errors[name]) ?? 'email';
  return layout(
    'Create your account',
    html`<p class="lead">to continue to <strong>${input.clientName}</strong></p>
      ${alert(input.error ?? (Object.keys(errors).length ? 'Please correct the fields marked below.' : null))}
      <form method="post" action="${input.action}" novalidate>
        ${csrfInput(input.csrf)}
        ${field({ name: 'email', label: 'Email', type: 'email', value: values.email, error: errors.email, autocomplete: 'email', required: true, autofocus: focus === 'email' })}
        ${field({ name: 'password', label: 'Password', type: 'password', error: errors.password, autocomplete: 'new-password', required: true, autofocus: focus === 'password', hint: 'At least 8 characters. Avoid common passwords; a passphrase works well.' })}
        ${field({ name: 'first_name', label: 'First name (optional)', value: values.first_name, error: errors.first_name, autocomplete: 'given-name' })}
        ${field({ name: 'last_name', label: 'Last name (optional)', value: values.last_name, error: errors.last_name, autocomplete: 'family-name' })}
        <button type="submit" class="primary">Create account</button>
      </form>
      <p class="links">Already have an account? <a href="${input.signInUrl}">Sign in</a></p>`,
  );
}

export function consentPage(input: {
  action: string;
  csrf: string;
  clientName: string;
  scopes: string[];
  claims: string[];
  resources: string[];
  abortUrl: string;
}): string {
  const describe: Record<string, string> = {
    openid: 'Know who you are',
    profile: 'See your name',
    email: 'See your email address',
    offline_access: 'Stay signed in when you are not using it',
  };
  return layout(
    'Allow access?',
    html`<p class="lead"><strong>${input.clientName}</strong> asks to:</p>
      <ul class="scopes">
        ${input.scopes.map((scope) => html`<li>${describe[scope] ?? scope}</li>`)}
        ${input.claims.length ? html`<li>Read: ${input.claims.join(', ')}</li>` : null}
        ${input.resources.map((resource) => html`<li>Call <code>${resource}</code> on your behalf</li>`)}
      </ul>
      <form method="post" action="${input.action}">
        ${csrfInput(input.csrf)}
        <button type="submit" class="primary">Allow</button>
      </form>
      <div class="links">${abortForm(input.abortUrl, input.csrf, 'Deny')}</div>`,
  );
}

export function deviceInputPage(input: { form: string; error?: string | undefined; userCode?: string }): string {
  return layout(
    'Connect a device',
    html`<p class="lead">Enter the code shown on your TV or device.</p>
      ${alert(input.error)} ${raw(input.form)}
      ${field({ name: 'user_code', label: 'Code', value: input.userCode, autocomplete: 'one-time-code', required: true, autofocus: true, form: 'op.deviceInputForm' })}
      <button type="submit" class="primary" form="op.deviceInputForm">Continue</button>`,
  );
}

export function deviceConfirmPage(input: { form: string; clientName: string; userCode: string }): string {
  return layout(
    'Confirm the device',
    html`<p class="lead">
        <strong>${input.clientName}</strong> wants to sign in. Check that your device shows this code:
      </p>
      <p class="user-code"><code>${input.userCode}</code></p>
      ${raw(input.form)}
      <button type="submit" class="primary" form="op.deviceConfirmForm">Continue</button>
      <button type="submit" class="link" form="op.deviceConfirmForm" name="abort" value="yes">
        This is not my device
      </button>`,
  );
}

export function deviceSuccessPage(clientName: string): string {
  return layout(
    'Device connected',
    html`<p class="lead">You are signed in on <strong>${clientName}</strong>. You can close this page.</p>`,
  );
}

export function logoutPage(input: { form: string; clientName: string | null }): string {
  return layout(
    'Sign out?',
    html`<p class="lead">
        Do you want to sign out${input.clientName ? html` of <strong>${input.clientName}</strong> and Usher` : null}?
      </p>
      ${raw(input.form)}
      <button type="submit" class="primary" form="op.logoutForm" name="logout" value="yes" autofocus>
        Yes, sign me out
      </button>
      <button type="submit" class="secondary" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export function logoutSuccessPage(clientName: string | null): string {
  return layout(
    'Signed out',
    html`<p class="lead">You have signed out${clientName ? html` of <strong>${clientName}</strong>` : null}.</p>`,
  );
}

export function errorPage(input: { title?: string; message: string; requestId?: string | undefined }): string {
  return layout(
    input.title ?? 'Something went wrong',
    html`${alert(input.message)}
    ${input.requestId ? html`<p class="hint">Reference: <code>${input.requestId}</code></p>` : null}`,
  );
}
