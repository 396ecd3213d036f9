import { toProblem, problemContentType, type Logger } from '@usher/platform';
import type { Context, Next } from 'koa';

/** The one place non-OAuth errors become responses: problem+json, no internals. */
export function problemResponses(logger: Logger) {
  return async function problems(ctx: Context, next: Next) {
    try {
      await next();
    } catch (error) {
      const problem = toProblem(error);
      // The request id comes with the logger's mixin: this runs inside the request's context.
      if (problem.status >= 500) logger.error({ err: error }, 'request failed');
      ctx.status = problem.status;
      ctx.set(problem.headers);
      ctx.type = problemContentType;
      ctx.body = problem.toBody();
    }
  };
}
