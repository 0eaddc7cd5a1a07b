// Gateway roles and tokens. A token is 32 random bytes (npm run gateway:token); the gateway keeps
// only its sha256, so the configuration and the process never hold a usable secret. sha256 without
// a salt is enough for tokens of 256 random bits (no dictionary to run); the comparison walks every
// entry with timingSafeEqual, so the time taken says nothing about which entry, or how much, matched.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROLES = ['read', 'feedback', 'admin'] as const;
export type Role = (typeof ROLES)[number];

// Each role includes the ones before it: admin can read and give feedback.
const RANK: Record<Role, number> = { read: 1, feedback: 2, admin: 3 };

export interface TokenEntry {
  name: string;
  role: Role;
  hash: Buffer;
}

export interface Identity {
  name: string;
  role: Role;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Tokens from tutorials, examples and earlier defaults: an entry hashing to one of these is refused. */
export const KNOWN_DEFAULT_TOKENS = [
  'change-me-please-0000',
  'change-me',
  'changeme',
  'secret',
  'password',
  'admin',
  'token',
  'test',
  'ulasan',
  'test-admin-token-123456',
];
const KNOWN_DEFAULT_HASHES = new Set(KNOWN_DEFAULT_TOKENS.map(hashToken));

/** A new random token and the GATEWAY_TOKENS entry that accepts it. */
export function newToken(name: string, role: Role): { token: string; entry: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, entry: `${name}:${role}:${hashToken(token)}` };
}

/**
 * Parses GATEWAY_TOKENS: comma-separated `name:role:sha256-hex` entries. Returns the entries, or the
 * problems (each naming the entry) so config parsing can report them all.
 */
export function parseTokens(spec: string): { entries: TokenEntry[]; problems: string[] } {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [i, raw] of spec.split(',').entries()) {
    const parts = raw.trim().split(':');
    const [name, role, hash] = parts;
    const where = `entry ${i + 1}${name ? ` (${name})` : ''}`;
    if (parts.length !== 3 || !name || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
      problems.push(`${where} must be name:role:sha256 with a name of letters, digits, . _ -`);
    } else if (!(ROLES as readonly string[]).includes(role!)) {
      problems.push(`${where} has role "${role}"; roles are ${ROLES.join(', ')}`);
    } else if (!/^[0-9a-f]{64}$/.test(hash!)) {
      problems.push(`${where} must carry the token's sha256 as 64 lowercase hex digits (npm run gateway:token)`);
    } else if (KNOWN_DEFAULT_HASHES.has(hash!)) {
      problems.push(`${where} is the hash of a well-known default token; generate one with npm run gateway:token`);
    } else if (names.has(name)) {
      problems.push(`${where} repeats the name ${name}`);
    } else {
      names.add(name);
      entries.push({ name, role: role as Role, hash: Buffer.from(hash!, 'hex') });
    }
  }
  return { entries, problems };
}

export class TokenBook {
  constructor(private readonly entries: TokenEntry[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** Who a bearer token belongs to, or null; examines every entry whatever matches. */
  identify(token: string): Identity | null {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: TokenEntry | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(presented, e.hash) && found === null) found = e;
    }
    return found ? { name: found.name, role: found.role } : null;
  }
}

export function allows(identity: Identity, needed: Role): boolean {
  return RANK[identity.role] >= RANK[needed];
}

/** The bearer token of an Authorization header, or null when there is none. */
export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** A stable pseudonym for a token name (feedback keeps it as user_hash, not the name itself). */
export function submitterOf(identity: Identity): string {
  return createHash('sha256').update(`gateway-token:${identity.name}`).digest('hex').slice(0, 32);
}
