import { isStoreUnavailable } from '@usher/platform';
import type { Context, Next } from 'koa';
import type { InteractionResults } from '../oidc/protocol-types.ts';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import { formBody } from '../ops/form-body.ts';
import type { Csrf } from './csrf.ts';
import * as pages from './views/pages.ts';

export type InteractionDetails = Awaited<ReturnType<ProviderHolder['current']['interactionDetails']>>;

export interface InteractionState {
  interaction: InteractionDetails;
  clientName: string;
  firstParty: boolean;
  form: Record<string, string>;
}

const pageHeaders = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
};

/** Sends one of our HTML pages, with the headers every page needs. */
export function render(ctx: Context, body: string, status = 200) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set(pageHeaders);
  ctx.body = body;
}

export const text = (value: unknown, max = 1000) => (typeof value === 'string' ? value.slice(0, max) : '');

export const interactionPaths = (uid: string) => ({
  login: `/interaction/${uid}/login`,
  register: `/interaction/${uid}/register`,
  confirm: `/interaction/${uid}/confirm`,
  abort: `/interaction/${uid}/abort`,
  page: `/interaction/${uid}`,
});

/**
 * The small named steps our interaction routes are composed of (as oidc-provider composes its
 * endpoints): load the interaction, read the form, check CSRF, check the prompt, finish. Shared by
 * the password pages and the upstream (social) sign-in pages.
 */
export function createInteractionSteps(deps: {
  holder: ProviderHolder;
  csrf: Csrf;
  /** The "Sign in with ..." buttons of the sign-in page of interaction `uid`. */
  upstreamButtons: (uid: string) => pages.UpstreamButton[];
}) {
  const { holder, csrf } = deps;
  const state = (ctx: Context) => ctx.state as InteractionState;

  async function loadInteraction(ctx: Context, next: Next) {
    try {
      const interaction = await holder.current.interactionDetails(ctx.req, ctx.res);
      if (interaction.uid !== ctx.params.uid) throw new Error('interaction mismatch');
      const client = await holder.current.Client.find(String(interaction.params.client_id));
      Object.assign(state(ctx), {
        interaction,
        clientName: (client?.clientName as string | undefined) ?? String(interaction.params.client_id),
        firstParty: client?.['first_party'] === true,
      });
    } catch (error) {
      // A store that is down is not an expired sign-in: the problem responses answer it (503).
      if (isStoreUnavailable(error)) throw error;
      render(
        ctx,
        pages.errorPage({
          title: 'This sign-in has expired',
          message: 'Go back to the application and start signing in again.',
          requestId: ctx.get('x-request-id') || undefined,
        }),
        400,
      );
      return;
    }
    await next();
  }

  const parseForm = formBody(16 * 1024);

  async function collectForm(ctx: Context, next: Next) {
    const body = (ctx.request as { body?: unknown }).body;
    state(ctx).form = {};
    if (body && typeof body === 'object') {
      for (const [key, value] of Object.entries(body as Record<string, unknown>)) state(ctx).form[key] = text(value);
    }
    // PostgreSQL text cannot hold U+0000 (the sign-in log and the users table would fail with a 500).
    if (Object.entries(state(ctx).form).some(([key, value]) => `${key}${value}`.includes('\u0000'))) {
      render(
        ctx,
        pages.errorPage({
          title: 'Form not accepted',
          message: 'The form contains characters that are not allowed. Go back, correct it and try again.',
        }),
        400,
      );
      return;
    }
    await next();
  }

  async function requireCsrf(ctx: Context, next: Next) {
    if (!csrf.verify(ctx, ctx.params.uid!, state(ctx).form.csrf)) {
      render(
        ctx,
        pages.errorPage({
          title: 'Form expired',
          message:
            'This form was not submitted from this sign-in page, or it expired. Go back, reload the page and try again.',
        }),
        403,
      );
      return;
    }
    await next();
  }

  function requirePrompt(name: string) {
    return async (ctx: Context, next: Next) => {
      if (state(ctx).interaction.prompt.name !== name) {
        ctx.status = 303;
        ctx.redirect(interactionPaths(ctx.params.uid!).page);
        return;
      }
      await next();
    };
  }

  /**
   * Records the result on the interaction loaded at the start of this request and sends the browser
   * back to the authorization endpoint. It is what oidc-provider's interactionResult does, minus
   * the second read of the interaction: one database round trip less on every sign-in.
   */
  async function finish(ctx: Context, result: InteractionResults, merge: boolean) {
    const { interaction } = state(ctx);
    interaction.result = merge && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
    await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
    ctx.status = 303;
    ctx.redirect(interaction.returnTo);
  }

  function showSignIn(ctx: Context, options: { email?: string; error?: string; status?: number } = {}) {
    const uid = ctx.params.uid!;
    const p = interactionPaths(uid);
    render(
      ctx,
      pages.signInPage({
        action: p.login,
        csrf: csrf.issue(ctx, uid),
        clientName: state(ctx).clientName,
        ...(options.email ? { email: options.email } : {}),
        error: options.error,
        registerUrl: p.register,
        abortUrl: p.abort,
        upstreams: deps.upstreamButtons(uid),
      }),
      options.status,
    );
  }

  return { state, loadInteraction, parseForm, collectForm, requireCsrf, requirePrompt, finish, showSignIn };
}

export type InteractionSteps = ReturnType<typeof createInteractionSteps>;
