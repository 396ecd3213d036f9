/** Usage text per command group; `help <group>` and usage errors show one, `help` shows all. */
const sections: Record<string, string> = {
  init: `  init [--with-superuser [--email E] [--password P] [--first-name F] [--last-name L]]
      Create the fixed permissions and roles (safe to run again); optionally the first superuser.`,
  superuser: `  superuser create [--email E] [--password P] [--first-name F] [--last-name L]
      Create a user with the superuser role. Email and password are asked for when missing
      and stdin is a terminal.
  superuser delete [--email E]
      Delete a user holding all_all. Absent users are reported, not an error.`,
  users: `  users create --email E --password P [--first-name F] [--last-name L] [--role R ...]
      Create a user (email verified: no) with the given roles; prints it as JSON.`,
  roles: `  roles create NAME [--description D] [--permission P ...]
      Create a role holding the given permissions; prints it as JSON.
  roles grant ROLE --user EMAIL
      Give a user a role (idempotent).`,
  permissions: `  permissions create NAME [--description D] [--resource URI]
      Create a permission, global or for one resource server; prints it as JSON.
  permissions grant NAME (--user EMAIL | --client CLIENT_ID)
      Give a user or a client (client credentials) a permission (idempotent).`,
  clients: `  clients create --json '<RFC 7591 metadata>'
      Register a client (client_id, client_secret, client_name, redirect_uris,
      post_logout_redirect_uris, grant_types, response_types, token_endpoint_auth_method,
      scope, first_party). Missing id and secret are generated; the secret is shown only here.
  clients list
      Print every client as JSON, without secrets.
  clients delete CLIENT_ID`,
  resources: `  resources create URI --name NAME
      Register a resource server (an absolute http(s) URI) that may receive access tokens.
  resources list`,
  keys: `  keys list [--json]
      Published signing keys: active, next and retired (kept until their tokens expire).
  keys rotate
      Next keys start signing, active keys retire; running instances follow without restart.`,
};

const header = `Usage: npm run usher -- <command> [options]

Settings come from the environment as for the server (DATABASE_URL, USHER_DATA_DIR, REDIS_URL...);
without DATABASE_URL the embedded database in the data folder is used.

Commands:`;

export const topics = Object.keys(sections);

export function usage(topic: string | null = null): string {
  const chosen = topic !== null && sections[topic] !== undefined ? [sections[topic]] : Object.values(sections);
  const footer = topic === null ? '\n  help [COMMAND]\n      This text, or the part about COMMAND.' : '';
  return `${header}\n${chosen.join('\n')}${footer}`;
}
