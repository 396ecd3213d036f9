import { CliError } from '@usher/platform';
import { permissionNamePattern } from '../access/permission-names.ts';

/** The limits of CONTRACTS.md 1.2, checked before the database would refuse them less clearly. */
export function checkPermissionName(name: string): string {
  if (!permissionNamePattern.test(name)) {
    throw new CliError(`Invalid permission name ${JSON.stringify(name)}: 1..80 characters of A-Z a-z 0-9 _ . : -`);
  }
  return name;
}

/** Role names have no fixed alphabet, but stray spaces or control characters are always mistakes. */
export function checkRoleName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = !/[\u0000-\u001f\u007f]/.test(name) && name.trim() === name;
  if (!printable || name.length < 1 || name.length > 80) {
    throw new CliError(`Invalid role name ${JSON.stringify(name)}: 1..80 characters, no surrounding spaces`);
  }
  return name;
}

export function checkDescription(description: string | undefined): string | null {
  if (description === undefined || description === '') return null;
  if (description.length > 256) throw new CliError('Invalid description: at most 256 characters');
  return description;
}

/** A resource indicator (RFC 8707): an absolute http(s) URI without a fragment. */
export function checkResourceIdentifier(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`Invalid resource identifier ${value}: not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(`Invalid resource identifier ${value}: must be http or https`);
  }
  if (value.includes('#')) throw new CliError(`Invalid resource identifier ${value}: must not have a fragment`);
  if (value.length > 2048) throw new CliError(`Invalid resource identifier: at most 2048 characters`);
  return value;
}
