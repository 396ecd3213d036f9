import { defaultFailureProblem, problemAnswer, type ErrorRenderer } from '@usher/kit';
import { HttpProblem } from '@usher/platform';

/**
 * Films answers every error as problem+json (CONTRACTS 3): the kit's bodies, except that content
 * needing a user answers a missing token with the `invalid_token` challenge, as it always has.
 */
export const filmsErrors: ErrorRenderer = {
  render(failure) {
    if (failure.kind === 'unauthenticated' && !failure.degraded) {
      const detail = 'A bearer token is required';
      return problemAnswer(
        new HttpProblem(401, 'invalid-token', 'Unauthorized', detail, {
          headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${detail}"` },
        }),
      );
    }
    return problemAnswer(defaultFailureProblem(failure));
  },
};
