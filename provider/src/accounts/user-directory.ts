import type { Knex } from '@usher/platform';
import type { UserRow } from './user-store.ts';

export interface UserSearch {
  /** Case-insensitive substring of the email, first or last name. */
  query?: string | undefined;
  blocked?: boolean | undefined;
  role?: string | undefined;
  sort: 'email' | '-email' | 'created' | '-created';
  offset: number;
  limit: number;
}

const sortColumns = { email: 'email', created: 'created_at' } as const;

/** The admin's view of the users table: search, filters, a stable order and paging. */
export function createUserDirectory(knex: Knex) {
  return {
    async search(search: UserSearch): Promise<{ items: UserRow[]; total: number }> {
      const base = knex<UserRow>('users as u');
      if (search.query) {
        const like = `%${search.query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        base.where((q) =>
          q
            .whereRaw('lower(u.email) like ?', [like])
            .orWhereRaw(`lower(coalesce(u.first_name, '')) like ?`, [like])
            .orWhereRaw(`lower(coalesce(u.last_name, '')) like ?`, [like]),
        );
      }
      if (search.blocked !== undefined) {
        if (search.blocked) base.whereNotNull('u.blocked_at');
        else base.whereNull('u.blocked_at');
      }
      if (search.role !== undefined) {
        base.whereExists(
          knex('user_roles as ur')
            .join('roles as r', 'r.id', 'ur.role_id')
            .whereRaw('ur.user_id = u.id')
            .where('r.name', search.role),
        );
      }
      const descending = search.sort.startsWith('-');
      const column = sortColumns[search.sort.replace('-', '') as keyof typeof sortColumns];
      const [counted, items] = await Promise.all([
        base.clone().count<{ count: string }[]>({ count: '*' }),
        base
          .clone()
          .select('u.*')
          .orderBy([
            {
              column: column === 'email' ? knex.raw('lower(u.email)') : `u.${column}`,
              order: descending ? 'desc' : 'asc',
            },
            { column: 'u.id', order: 'asc' },
          ] as never)
          .offset(search.offset)
          .limit(search.limit),
      ]);
      return { items: items as UserRow[], total: Number(counted[0]?.count ?? 0) };
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
