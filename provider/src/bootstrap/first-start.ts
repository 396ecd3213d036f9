import { randomBytes } from 'node:crypto';
import type { Logger } from '@usher/platform';
import { initializeAccess, isInitialized } from '../access/bootstrap.ts';
import { superuserRole } from '../access/permission-names.ts';
import { registerUser } from '../accounts/registration.ts';
import type { ProviderConfig } from '../config.ts';
import type { Domain } from '../domain.ts';

export const defaultAdminEmail = 'admin@usher.local';

/**
 * On the very first start (no roles yet) runs `init` and creates a superuser from
 * USHER_ADMIN_EMAIL / USHER_ADMIN_PASSWORD, or with a generated password printed once to the
 * console (never to the logs). Several instances starting together: the transaction-level advisory
 * lock lets exactly one of them do it.
 */
export async function firstStart(
  config: ProviderConfig,
  domain: Domain,
  logger: Logger,
  print: (text: string) => void,
): Promise<void> {
  if (await isInitialized(domain.knex)) return;
  await domain.knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [424242]);
    if (await isInitialized(trx)) return;
    await initializeAccess(trx, domain.access);
    const email = config.USHER_ADMIN_EMAIL ?? defaultAdminEmail;
    const generated = !config.USHER_ADMIN_PASSWORD;
    const password = config.USHER_ADMIN_PASSWORD ?? randomBytes(18).toString('base64url');
    const existing = await domain.users.findByEmail(email, trx);
    if (existing) {
      await domain.access.grantRoleToUser(existing.id, superuserRole, trx);
      logger.info({ email }, 'first start: existing account made superuser');
      return;
    }
    await registerUser(domain, { email, password, emailVerified: true, roles: [superuserRole] }, 'first-start', trx);
    logger.info({ email }, 'first start: superuser created');
    if (generated) {
      print(
        [
          '',
          '  Usher superuser created (this password is shown only once):',
          `    email:    ${email}`,
          `    password: ${password}`,
          '  Set USHER_ADMIN_EMAIL and USHER_ADMIN_PASSWORD before the first start to choose them.',
          '',
        ].join('\n'),
      );
    }
  });
}
