import Router from '@koa/router';
import { z } from 'zod';
import { queryAuditLog } from '../audit/audit-log.ts';
import { apiBase, type AdminDeps } from './admin-deps.ts';
import { auditView } from './api-views.ts';
import { pageParams, parseQuery } from './request-validation.ts';

const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

const auditQuery = z.object({
  actor: z.string().min(1).max(255).optional(),
  target: z.string().min(1).max(2048).optional(),
  type: z.string().min(1).max(100).optional(),
  since: instant.optional(),
  until: instant.optional(),
  ...pageParams,
});

/** The audit trail (admin), newest first. */
export function auditRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });

  router.get('/audit_events', auth.authenticate, auth.requireAdmin, async (ctx) => {
    const query = parseQuery(ctx, auditQuery);
    const size = query['page[size]'];
    const { items, total } = await queryAuditLog(domain.knex, {
      actor: query.actor,
      target: query.target,
      type: query.type,
      since: query.since,
      until: query.until,
      offset: query['page[number]'] * size,
      limit: size,
    });
    ctx.body = { items: items.map(auditView), total };
  });

  return router;
}
