import { UpstreamUnavailable } from './upstream-errors.ts';

/** Who the upstream says the user is, from its OpenID Connect claims (Google's userinfo speaks them too). */
export interface UpstreamProfile {
  /** `sub`: stable at that upstream, the only key an identity is found by. */
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  picture: string | null;
}

const text = (value: unknown, max: number) =>
  typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null;

/** A picture is only kept as an https (or, for local upstreams, http) URL: it ends up in `<img src>`. */
function pictureUrl(value: unknown): string | null {
  const candidate = text(value, 2048);
  if (!candidate) return null;
  try {
    return ['https:', 'http:'].includes(new URL(candidate).protocol) ? candidate : null;
  } catch {
    return null;
  }
}

export function profileFromClaims(claims: Record<string, unknown>): UpstreamProfile {
  const subject = claims.sub;
  if (typeof subject !== 'string' || !subject || subject.length > 255) {
    throw new UpstreamUnavailable('the upstream returned no usable subject');
  }
  const email = text(claims.email, 320);
  return {
    subject,
    email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null,
    // Some upstreams (Google's older endpoints among them) send the flag as a string.
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    name: text(claims.name, 255),
    givenName: text(claims.given_name, 100),
    familyName: text(claims.family_name, 100),
    picture: pictureUrl(claims.picture),
  };
}
