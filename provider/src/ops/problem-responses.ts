import { isStoreUnavailable, problemContentType, toProblem, type Logger } from '@usher/platform';
import type { Context, Next } from 'koa';
import { render } from '../interactions/interaction-steps.ts';
import { errorPage } from '../interactions/views/pages.ts';

/**
 * The one place non-OAuth errors become responses: problem+json, no internals. A store that is down
 * is a 503 with Retry-After (toProblem), logged as a warning without a stack: it is the outage's
 * symptom, not a bug. A browser (a sign-in page) gets that 503 as a page it can show.
 */
export function problemResponses(logger: Logger) {
  return async function problems(ctx: Context, next: Next) {
    try {
      await next();
    } catch (error) {
      const problem = toProblem(error);
      const outage = isStoreUnavailable(error);
      // The request id comes with the logger's mixin: this runs inside the request's context.
      if (outage) logger.warn({ reason: (error as Error).message }, 'a store is unavailable');
      else if (problem.status >= 500) logger.error({ err: error }, 'request failed');
      ctx.set(problem.headers);
      if (outage && ctx.accepts('json', 'html') === 'html') {
        const message = 'Signing in is unavailable for a moment. Wait a few seconds, then reload this page.';
        const requestId = ctx.get('x-request-id') || undefined;
        render(ctx, errorPage({ title: 'Temporarily unavailable', message, requestId }), problem.status);
        return;
      }
      ctx.status = problem.status;
      ctx.type = problemContentType;
      ctx.body = problem.toBody();
    }
  };
}
