import type { UserDetails } from '../api/types.ts';

/** "First Last", or an empty string when the account has no names. */
export const fullName = (user: Pick<UserDetails, 'first_name' | 'last_name'>) =>
  [user.first_name, user.last_name].filter(Boolean).join(' ');
