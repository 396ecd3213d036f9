import type { Knex } from '@usher/platform';
import { evaluatePermissionQuery, type PermissionQuery } from '@usher/contracts';
import { codeUnitOrder } from './access-store.ts';
import { superuserPermission } from './permission-names.ts';

export type GrantSource = { kind: 'direct' } | { kind: 'role'; role: string };

export interface NameExplanation {
  name: string;
  holds: boolean;
  exists: boolean;
  granted_by: GrantSource[];
  via_superuser: boolean;
}

export interface Explanation {
  valid: boolean;
  superuser: GrantSource[];
  names: NameExplanation[];
  summary: string;
}

function namesIn(query: PermissionQuery, into = new Set<string>()): Set<string> {
  if (typeof query === 'string') into.add(query);
  else for (const item of 'any' in query ? query.any : query.all) namesIn(item, into);
  return into;
}

const describe = (source: GrantSource) => (source.kind === 'direct' ? 'a direct grant' : `role ${source.role}`);

/**
 * Why a query holds for a user or not: for each name in it, every grant that gives it (direct or
 * through a role), and whether `all_all` is what makes it hold. Evaluated exactly as the validation
 * endpoint and resource servers evaluate it.
 */
export async function explainPermissions(knex: Knex, userId: string, query: PermissionQuery): Promise<Explanation> {
  const direct: string[] = await knex('user_permissions as up')
    .join('permissions as p', 'p.id', 'up.permission_id')
    .where('up.user_id', userId)
    .pluck('p.name');
  const viaRoles: { role: string; permission: string }[] = await knex('user_roles as ur')
    .join('roles as r', 'r.id', 'ur.role_id')
    .join('role_permissions as rp', 'rp.role_id', 'r.id')
    .join('permissions as p', 'p.id', 'rp.permission_id')
    .where('ur.user_id', userId)
    .orderByRaw(codeUnitOrder, ['r.name'])
    .select('r.name as role', 'p.name as permission');
  const sourcesOf = (name: string): GrantSource[] => [
    ...(direct.includes(name) ? [{ kind: 'direct' as const }] : []),
    ...viaRoles.filter((link) => link.permission === name).map((link) => ({ kind: 'role' as const, role: link.role })),
  ];
  const held = new Set([...direct, ...viaRoles.map((link) => link.permission)]);
  const superuser = sourcesOf(superuserPermission);
  const mentioned = [...namesIn(query)].sort();
  const existing = new Set<string>(
    mentioned.length ? await knex('permissions').whereIn('name', mentioned).pluck('name') : [],
  );
  const names = mentioned.map((name) => {
    const granted = sourcesOf(name);
    return {
      name,
      holds: granted.length > 0 || superuser.length > 0,
      exists: existing.has(name),
      granted_by: granted,
      via_superuser: granted.length === 0 && superuser.length > 0,
    };
  });
  const valid = evaluatePermissionQuery(query, held);
  let summary: string;
  if (superuser.length)
    summary = `Holds: ${superuserPermission} (from ${superuser.map(describe).join(', ')}) satisfies every query.`;
  else {
    const parts = names.map((entry) =>
      entry.holds
        ? `${entry.name} from ${entry.granted_by.map(describe).join(', ')}`
        : `${entry.name} not granted${entry.exists ? '' : ' (no such permission)'}`,
    );
    summary = `${valid ? 'Holds' : 'Does not hold'}: ${parts.join('; ') || 'the query names no permission'}.`;
  }
  return { valid, superuser, names, summary };
}
