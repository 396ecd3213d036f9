import { isUniqueViolation, statement, type Knex } from '@usher/platform';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  first_name: string | null;
  last_name: string | null;
  email_verified: boolean;
  picture: string | null;
  blocked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** UserRow's columns, named so that a prepared statement survives a migration adding one. */
const userColumns = [
  'id',
  'email',
  'password_hash',
  'first_name',
  'last_name',
  'email_verified',
  'picture',
  'blocked_at',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UserRow)[];

export interface NewUser {
  email: string;
  passwordHash: string | null;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  emailVerified?: boolean;
  picture?: string | null | undefined;
}

export class EmailTaken extends Error {
  constructor(email: string) {
    super(`An account with email ${email} already exists`);
    this.name = 'EmailTaken';
  }
}

/** A user as a change names it: by id (the admin API) or by email (the CLI, as operators know people). */
export type UserRef = string | { email: string };

export class UnknownUser extends Error {
  constructor(readonly ref: string) {
    super(`User ${ref} not found`);
    this.name = 'UnknownUser';
  }
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function normalizeEmail(email: string): string {
  return email.trim();
}

/** Queries of the users table; emails are unique case-insensitively. */
export function createUserStore(knex: Knex) {
  // Every password sign-in starts here.
  const byEmail = statement<UserRow>(
    knex,
    'usher_user_by_email',
    `select ${userColumns.join(', ')} from users where lower(email) = lower($1) limit 1`,
  );
  return {
    async findByEmail(email: string, trx?: Knex): Promise<UserRow | undefined> {
      const [user] = await byEmail([normalizeEmail(email)], trx);
      return user;
    },

    async findById(id: string, trx: Knex = knex): Promise<UserRow | undefined> {
      if (!uuidPattern.test(id)) return undefined;
      return trx<UserRow>('users').where({ id }).first();
    },

    /** The user a change is about, locked until its transaction ends; UnknownUser when there is none. */
    async require(ref: UserRef, trx: Knex): Promise<UserRow> {
      const query = trx<UserRow>('users');
      if (typeof ref !== 'string') query.whereRaw('lower(email) = lower(?)', [normalizeEmail(ref.email)]);
      else if (uuidPattern.test(ref)) query.where({ id: ref });
      else throw new UnknownUser(ref);
      const user = await query.forUpdate().first();
      if (!user) throw new UnknownUser(typeof ref === 'string' ? ref : ref.email);
      return user;
    },

    async create(user: NewUser, trx: Knex = knex): Promise<UserRow> {
      try {
        const [row] = await trx<UserRow>('users')
          .insert({
            email: normalizeEmail(user.email),
            password_hash: user.passwordHash,
            first_name: user.firstName ?? null,
            last_name: user.lastName ?? null,
            email_verified: user.emailVerified ?? false,
            picture: user.picture ?? null,
          })
          .returning('*');
        return row!;
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTaken(user.email);
        throw error;
      }
    },

    async setPassword(id: string, passwordHash: string, trx: Knex = knex): Promise<void> {
      await trx('users').where({ id }).update({ password_hash: passwordHash, updated_at: trx.fn.now() });
    },

    async setBlocked(id: string, blocked: boolean, trx: Knex = knex): Promise<void> {
      await trx('users')
        .where({ id })
        .update({ blocked_at: blocked ? trx.fn.now() : null, updated_at: trx.fn.now() });
    },

    /** Deletes the account; its sign-in history stays, no longer naming it (the log has no foreign key). */
    async delete(id: string, trx: Knex = knex): Promise<boolean> {
      const run = async (db: Knex) => {
        await db('sign_in_attempts').where({ user_id: id }).update({ user_id: null });
        return (await db('users').where({ id }).delete()) > 0;
      };
      return trx.isTransaction ? run(trx) : trx.transaction(run);
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
