import { readFileSync } from 'node:fs';

/**
 * NIST SP 800-63B: at least 8 characters, at most 256 (argon2 input stays bounded), and not a
 * commonly used or breached password. No composition rules.
 */
export const passwordMinLength = 8;
export const passwordMaxLength = 256;

const commonPasswords = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter(Boolean),
);

/** Returns why the password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string } = {}): string | null {
  if (password.length < passwordMinLength) return `Password must be at least ${passwordMinLength} characters`;
  if (password.length > passwordMaxLength) return `Password must be at most ${passwordMaxLength} characters`;
  const lowered = password.toLowerCase();
  if (commonPasswords.has(lowered)) return 'This password is too common; choose another';
  if (/^(.)\1+$/.test(password)) return 'This password is too easy to guess; choose another';
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lowered.includes(local)) return 'Password must not contain your email address';
  return null;
}
