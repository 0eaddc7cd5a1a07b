// Prints a new gateway token and the GATEWAY_TOKENS entry that accepts it. The gateway keeps only
// the entry (name, role, sha256); the token is shown once, here, for whoever will use it.
//   npm run gateway:token -- --name ops --role admin
import { parseCommandLine, runCommandLine } from '../platform/cli.js';
import { ROLES, newToken, type Role } from '../gateway/auth.js';

const USAGE = `usage: npm run gateway:token -- --name <letters, digits, . _ -> --role <${ROLES.join('|')}>`;

function main(): void {
  const { values } = parseCommandLine(
    { options: { name: { type: 'string' }, role: { type: 'string', default: 'read' } } },
    USAGE,
  );
  const role = values.role as Role;
  if (!values.name || !/^[A-Za-z0-9._-]{1,64}$/.test(values.name) || !ROLES.includes(role)) {
    console.error(USAGE);
    process.exit(2);
  }
  const { token, entry } = newToken(values.name, role);
  console.log(`token (give it to the client; it is not stored anywhere):\n  ${token}`);
  console.log(`GATEWAY_TOKENS entry (append, comma-separated):\n  ${entry}`);
}

runCommandLine('gateway:token', main);
