import Router from '@koa/router';
import { z } from 'zod';
import { accessChanges } from '../access/access-changes.ts';
import { clientChanges } from '../clients/client-changes.ts';
import { clientMetadataProblem } from '../oidc/client-metadata-check.ts';
import { apiBase, changeContextOf, jsonBody, type AdminDeps, type RouteContext } from './admin-deps.ts';
import { clientView, permissionView } from './api-views.ts';
import { clientIdParam, parseBody, UnknownReference } from './request-validation.ts';
import { nameRef } from './user-grants-routes.ts';

const clientInput = z
  .object({
    client_id: z
      .string()
      .regex(/^[A-Za-z0-9._~-]{1,255}$/, '1..255 characters of A-Z a-z 0-9 . _ ~ -')
      .optional(),
    first_party: z.boolean().optional(),
    permissions: z.array(z.string().min(1).max(80)).max(200).optional(),
  })
  .loose();

const clientUpdate = z.object({ first_party: z.boolean().optional() }).loose();

/** Clients (admin): RFC 7591 metadata validated by the provider's own rules; secrets shown once. */
export function clientsRoutes(deps: AdminDeps): Router {
  const { auth, domain } = deps;
  const router = new Router({ prefix: apiBase });
  const admin = [auth.authenticate, auth.requireAdmin] as const;
  const check = (metadata: Record<string, unknown>) => clientMetadataProblem(deps.holder.current, metadata);
  const changes = (ctx: RouteContext) => clientChanges(changeContextOf(deps, ctx), check);
  const grants = (ctx: RouteContext) => accessChanges(changeContextOf(deps, ctx));
  const names = async (clientId: string) =>
    (await domain.access.clientPermissions(clientId)).map((permission) => permission.name);
  /** The client named by `:client_id` (400 when malformed, 404 when unknown). */
  const requireClient = async (ctx: RouteContext) => {
    const clientId = clientIdParam(ctx.params.client_id);
    const client = await domain.clients.find(clientId, domain.knex);
    if (!client) throw new UnknownReference(`Client ${clientId} not found`, 'client_id', 'path');
    return client;
  };

  router.get('/clients', ...admin, async (ctx) => {
    const clients = await domain.clients.list();
    ctx.body = await Promise.all(clients.map(async (client) => clientView(client, await names(client.client_id))));
  });

  router.post('/clients', ...admin, jsonBody, async (ctx) => {
    const { permissions = [], ...metadata } = parseBody(ctx, clientInput);
    const stored = await changes(ctx).create(metadata, [...new Set(permissions)].sort());
    ctx.status = 201;
    // The only time the secret is shown: it is stored sealed and never listed.
    ctx.body = {
      ...clientView(stored, await names(stored.client_id)),
      ...(stored.client_secret ? { client_secret: stored.client_secret } : {}),
    };
  });

  router.get('/clients/:client_id', ...admin, async (ctx) => {
    const client = await requireClient(ctx);
    ctx.body = clientView(client, await names(client.client_id));
  });

  router.patch('/clients/:client_id', ...admin, jsonBody, async (ctx) => {
    const clientId = clientIdParam(ctx.params.client_id);
    const client = await changes(ctx).update(clientId, parseBody(ctx, clientUpdate));
    ctx.body = clientView(client, await names(client.client_id));
  });

  router.delete('/clients/:client_id', ...admin, async (ctx) => {
    await changes(ctx).remove(clientIdParam(ctx.params.client_id));
    ctx.status = 204;
  });

  router.post('/clients/:client_id/secret', ...admin, async (ctx) => {
    const clientId = clientIdParam(ctx.params.client_id);
    ctx.body = { client_id: clientId, client_secret: await changes(ctx).rotateSecret(clientId) };
  });

  router.get('/clients/:client_id/permissions', ...admin, async (ctx) => {
    const client = await requireClient(ctx);
    ctx.body = (await domain.access.clientPermissions(client.client_id)).map(permissionView);
  });

  router.post('/clients/:client_id/permissions', ...admin, jsonBody, async (ctx) => {
    const client = await requireClient(ctx);
    await grants(ctx).grantPermissionToClient(client.client_id, parseBody(ctx, nameRef).name);
    ctx.body = (await domain.access.clientPermissions(client.client_id)).map(permissionView);
  });

  router.delete('/clients/:client_id/permissions/:permission', ...admin, async (ctx) => {
    const client = await requireClient(ctx);
    await grants(ctx).revokePermissionFromClient(client.client_id, ctx.params.permission!);
    ctx.body = (await domain.access.clientPermissions(client.client_id)).map(permissionView);
  });

  return router;
}
