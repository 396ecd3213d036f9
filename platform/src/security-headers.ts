/**
 * Headers every response of every Usher server carries (the provider's front door, each resource
 * server's Express layer, the admin UI's static server): one list, so the three never drift.
 */
export const securityHeaders: readonly (readonly [name: string, value: string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
];
