import { providerSettings } from '../src/config.ts';

const providerKeys = new Set(Object.keys(providerSettings.shape));

/**
 * The environment of an Usher child: the bench's own, minus every provider setting it may carry
 * (so a DATABASE_URL in the shell never points the bench at a real database), plus `settings`.
 * Everything else is left at the defaults production gets.
 */
export function usherEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !providerKeys.has(key)));
  return { ...inherited, NODE_ENV: 'production', LOG_LEVEL: 'info', ...settings };
}
