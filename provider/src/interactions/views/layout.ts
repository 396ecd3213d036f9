import { html, type SafeHtml } from './html.ts';

export const stylesheetPath = '/assets/usher.css';

/** Every interaction page: one column, no JavaScript, one stylesheet. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Usher</title>
        <link rel="stylesheet" href="${stylesheetPath}" />
      </head>
      <body>
        <main class="card" aria-labelledby="page-title">
          <p class="brand" aria-hidden="true">Usher</p>
          <h1 id="page-title">${title}</h1>
          ${body}
        </main>
      </body>
    </html>`.value;
}

export function alert(message: string | null | undefined, kind: 'error' | 'info' = 'error'): SafeHtml | null {
  if (!message) return null;
  return kind === 'error'
    ? html`<p class="alert alert-error" role="alert" id="form-error">${message}</p>`
    : html`<p class="alert alert-info" role="status">${message}</p>`;
}

export function field(options: {
  name: string;
  label: string;
  type?: string;
  value?: string | undefined;
  error?: string | undefined;
  autocomplete?: string;
  required?: boolean;
  autofocus?: boolean;
  hint?: string;
  form?: string;
}): SafeHtml {
  const id = `field-${options.name}`;
  const described = [options.hint ? `${id}-hint` : null, options.error ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ');
  return html`<div class="field${options.error ? ' field-invalid' : ''}">
    <label for="${id}">${options.label}</label>
    ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : null}
    <input
      id="${id}"
      name="${options.name}"
      type="${options.type ?? 'text'}"
      value="${options.value ?? ''}"
      ${options.autocomplete ? html`autocomplete="${options.autocomplete}"` : null}
      ${options.required ? html`required` : null}
      ${options.autofocus ? html`autofocus` : null}
      ${options.form ? html`form="${options.form}"` : null}
      ${options.error ? html`aria-invalid="true"` : null}
      ${described ? html`aria-describedby="${described}"` : null}
    />
    ${options.error ? html`<p class="field-error" id="${id}-error">${options.error}</p>` : null}
  </div>`;
}

export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}" />`;
}
