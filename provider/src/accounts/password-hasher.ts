import argon2 from 'argon2';

/** argon2id with OWASP's first recommended parameter set (19 MiB, 2 passes, 1 lane). */
export const argon2Options = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, argon2Options);
}

// Verifying against this when no account matches keeps unknown-user and wrong-password answers
// equally slow, so timing does not reveal which emails have accounts. It is made when the module
// loads, so that not even the first unknown email pays for hashing.
const dummyHash: Promise<string> = hashPassword('usher-dummy-password-for-timing');

export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!hash) {
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
