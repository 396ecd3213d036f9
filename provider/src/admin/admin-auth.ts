import { Forbidden, Unauthorized } from '@usher/platform';
import type { Context, Next } from 'koa';
import { permissionsAdmin, superuserPermission } from '../access/permission-names.ts';
import { TokenRefused, type TokenVerifier, type VerifiedToken } from './bearer-tokens.ts';
import { userIdParam } from './request-validation.ts';

/** Who is calling the admin API, from a verified access token of its audience. */
export interface Caller {
  token: VerifiedToken;
  /** Holds `permissions_admin` or `all_all`. */
  admin: boolean;
  /** How audit records name the caller: a user id, or `client:<client_id>`. */
  actor: string;
  /** The signed-in user's id; null for client-credentials tokens. */
  userId: string | null;
}

const realm = 'realm="usher admin api"';

export function callerOf(ctx: Context): Caller {
  return (ctx.state as { caller: Caller }).caller;
}

function refusal(error: TokenRefused) {
  const header =
    error.fault === 'missing'
      ? `Bearer ${realm}`
      : `Bearer ${realm}, error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`;
  return new Unauthorized(error.fault === 'missing' ? 'An access token for the admin API is required' : error.message, {
    'WWW-Authenticate': header,
  });
}

const insufficient = (detail: string) =>
  new Forbidden(detail, { 'WWW-Authenticate': `Bearer ${realm}, error="insufficient_scope"` });

/**
 * The admin API's guards, as named middlewares: `authenticate` (a JWT access token for the admin
 * audience, not revoked: else 401), then one of `requireAdmin`, `requireAdminOrSelf` or
 * `requireUser` (else 403).
 */
export function adminAuth(verify: TokenVerifier, adminAudience: string) {
  return {
    async authenticate(ctx: Context, next: Next) {
      let token: VerifiedToken;
      try {
        token = await verify(ctx.get('authorization') || undefined, adminAudience);
      } catch (error) {
        if (error instanceof TokenRefused) throw refusal(error);
        throw error;
      }
      const permissions = token.permissions ?? [];
      const caller: Caller = {
        token,
        admin: permissions.includes(permissionsAdmin) || permissions.includes(superuserPermission),
        actor: token.machine ? `client:${token.clientId}` : token.subject,
        userId: token.machine ? null : token.subject,
      };
      (ctx.state as { caller: Caller }).caller = caller;
      ctx.set('Cache-Control', 'no-store');
      return next();
    },

    async requireAdmin(ctx: Context, next: Next) {
      if (!callerOf(ctx).admin) throw insufficient(`The token needs the ${permissionsAdmin} permission`);
      return next();
    },

    /** Admins, or the user named by `:user_id` acting on their own account (*self*). */
    async requireAdminOrSelf(ctx: Context, next: Next) {
      const userId = userIdParam((ctx as Context & { params: Record<string, string> }).params.user_id);
      const caller = callerOf(ctx);
      if (!caller.admin && caller.userId !== userId) {
        throw insufficient(`Only the user themselves or a holder of ${permissionsAdmin} may do this`);
      }
      return next();
    },

    /** A signed-in user (not a client acting for itself). */
    async requireUser(ctx: Context, next: Next) {
      if (!callerOf(ctx).userId) throw insufficient('This needs a token issued to a signed-in user');
      return next();
    },
  };
}

export type AdminAuth = ReturnType<typeof adminAuth>;
