import { permissionNamePattern, superuserPermission } from './permission-names.ts';

/**
 * The permission query language of CONTRACTS.md 1.2: a name, or an object with exactly one key,
 * `any` or `all`, whose value is an array of names and nested queries. `all_all` satisfies
 * everything. The same language is evaluated by the provider against a user's combined permissions.
 */
export type PermissionQuery = string | { any: PermissionQuery[] } | { all: PermissionQuery[] };

export class InvalidPermissionQuery extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPermissionQuery';
  }
}

const maxDepth = 16;
const maxNodes = 1000;

/** Checks that untrusted JSON is a query; throws InvalidPermissionQuery naming what is wrong. */
export function parsePermissionQuery(input: unknown): PermissionQuery {
  let nodes = 0;
  const visit = (value: unknown, depth: number): PermissionQuery => {
    nodes += 1;
    if (nodes > maxNodes) throw new InvalidPermissionQuery(`a query has at most ${maxNodes} elements`);
    if (depth > maxDepth) throw new InvalidPermissionQuery(`a query nests at most ${maxDepth} levels`);
    if (typeof value === 'string') {
      if (!permissionNamePattern.test(value))
        throw new InvalidPermissionQuery(`"${value.slice(0, 80)}" is not a permission name`);
      return value;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidPermissionQuery('a query is an object with exactly one key, "any" or "all"');
    }
    const keys = Object.keys(value);
    if (keys.length !== 1 || (keys[0] !== 'any' && keys[0] !== 'all')) {
      throw new InvalidPermissionQuery('a query is an object with exactly one key, "any" or "all"');
    }
    const key = keys[0];
    const items = (value as Record<string, unknown>)[key];
    if (!Array.isArray(items)) throw new InvalidPermissionQuery(`the value of "${key}" must be an array`);
    const parsed = items.map((item) => visit(item, depth + 1));
    return key === 'any' ? { any: parsed } : { all: parsed };
  };
  const query = visit(input, 0);
  if (typeof query === 'string')
    throw new InvalidPermissionQuery('a query is an object with exactly one key, "any" or "all"');
  return query;
}

/** Evaluates a query against a set of permission names. */
export function evaluatePermissionQuery(query: PermissionQuery, permissions: Iterable<string>): boolean {
  const held = permissions instanceof Set ? (permissions as Set<string>) : new Set(permissions);
  if (held.has(superuserPermission)) return true;
  const holds = (node: PermissionQuery): boolean => {
    if (typeof node === 'string') return held.has(node);
    if ('any' in node) return node.any.some(holds);
    return node.all.every(holds);
  };
  return holds(query);
}
