import { z } from 'zod';

/** A setting that is missing or malformed; start-up stops with its message. */
export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads settings once from the environment, validates them with a zod object whose keys are the
 * variable names, and freezes the result. Empty strings count as unset, as in most twelve-factor apps;
 * so do blank ones, which `z.coerce.number()` would otherwise read as 0 (PORT=" " would mean a random port).
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): Readonly<z.infer<S>> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = issue.path.join('.') || '(environment)';
        return `${variable}: ${issue.message}`;
      }),
    );
  }
  return Object.freeze(parsed.data);
}

/** Shared zod helpers for environment variables. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () => z.url({ protocol: /^https?$/ }),
  boolean: (fallback: boolean) =>
    z
      .enum(['1', '0', 'true', 'false', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === '1' || value === 'true' || value === 'yes'),
  seconds: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  list: () =>
    z.string().transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  /**
   * Comma-separated `key<separator>value` items (`Films=http://…`, `client:secret`); `problem` answers
   * what is wrong with one item, or null. Messages never repeat the value (it may be a secret).
   */
  pairs: (separator: string, problem: (key: string, value: string) => string | null) =>
    z.string().transform((text, ctx) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
        .map((item, index) => {
          const at = item.indexOf(separator);
          const key = at < 0 ? '' : item.slice(0, at).trim();
          const value = at < 0 ? '' : item.slice(at + separator.length).trim();
          const wrong = key ? problem(key, value) : `must be key${separator}value`;
          if (wrong) ctx.addIssue({ code: 'custom', message: `item ${index + 1}: ${wrong}` });
          return { key, value };
        }),
    ),
  databaseUrl: () =>
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  redisUrl: () =>
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** METRICS_TOKEN: the bearer token a scraper sends for /metrics (unset: this host only). */
  metricsToken: () => z.string().min(32, 'must be at least 32 characters').optional(),
  /** LOG_FORMAT: `json` or `pretty`; unset, the logger chooses (pretty at a terminal, JSON otherwise). */
  logFormat: () => z.enum(['json', 'pretty']).optional(),
};
