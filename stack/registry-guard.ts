// A guarding reverse proxy in front of Apicurio Registry 3.0.x, whose own authentication needs an
// OpenID Connect server (Keycloak or Entra ID; its "basic auth" is OIDC client credentials) that
// neither the local stack nor compose has. Apicurio listens on a private address; this proxy holds
// the registry's public port and decides per request:
// - reads (GET/HEAD/OPTIONS, the ccompat lookup, compatibility test and search POSTs): anyone;
// - registering a schema version (POST /apis/ccompat/v7/subjects/<s>/versions): anyone, because the
//   registry itself refuses a version that breaks the subject's BACKWARD rule, and only the admin can
//   change that rule;
// - everything else (PUT /config, /mode, v2/v3 rules, artifact state, /admin, every DELETE): only the
//   admin identity (HTTP basic, the stack's ulasan-admin Kafka credentials). A known non-admin
//   identity gets 403, no or wrong credentials 401. Paths with dot segments, encoded slashes or
//   matrix parameters are refused outright, so the upstream's normalisation cannot route around this.
//   npm run stack:up starts it; compose runs it as the registry-guard service.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { z } from 'zod';
import { readKafkaIdentities } from '../processors/kit/context.js';

export type Access = 'read' | 'register' | 'admin' | 'bad';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The decoded path segments, or null when the path is one a client has no business sending. */
function segments(rawPath: string): string[] | null {
  const parts = rawPath.split('/').slice(1);
  const out: string[] = [];
  for (const raw of parts) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '' || s === '.' || s === '..' || /[/\\;]/.test(s) || /[/\\;]/.test(raw)) return null;
    out.push(s);
  }
  return out;
}

/** What a request needs: pure, so the unit tests can walk every route. */
export function classify(method: string, url: string): Access {
  const rawPath = url.split('?')[0]!;
  const seg = segments(rawPath === '/' ? '' : rawPath);
  if (seg === null) return 'bad';
  if (seg.includes('admin')) return 'admin'; // /apis/registry/v3/admin/...: exports, role mappings, config
  const m = method.toUpperCase();
  if (READ_METHODS.has(m)) return 'read';
  if (m !== 'POST') return 'admin';
  const p = seg.join('/');
  // ccompat: POST /subjects/<s> looks a schema up; /compatibility/... only tests one.
  if (/^apis\/ccompat\/v[67]\/subjects\/[^/]+$/.test(p)) return 'read';
  if (/^apis\/ccompat\/v[67]\/compatibility\/subjects\/[^/]+\/versions(\/[^/]+)?$/.test(p)) return 'read';
  if (/^apis\/registry\/v[23]\/search\/artifacts$/.test(p)) return 'read';
  if (/^apis\/ccompat\/v[67]\/subjects\/[^/]+\/versions$/.test(p)) return 'register';
  return 'admin';
}

export interface Identity {
  username: string;
  password: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The identity a Basic header proves, 'anonymous' without one, 'invalid' for wrong credentials. */
export function authenticate(header: string | undefined, identities: Identity[]): string | 'anonymous' | 'invalid' {
  if (!header) return 'anonymous';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m) return 'invalid';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'invalid';
  const user = decoded.slice(0, colon);
  const given = digest(decoded.slice(colon + 1));
  const known = identities.find((i) => i.username === user);
  // Compared in constant time, and a digest compared for unknown users too (no timing oracle on names).
  const ok = timingSafeEqual(given, digest(known?.password ?? '\u0000no-such-user')) && known !== undefined;
  return ok ? user : 'invalid';
}

/** Refusals are logged (never a credential), at most `perMinute` lines a minute so a flood cannot fill the log. */
class RefusalLog {
  private windowStart = Date.now();
  private lines = 0;
  private suppressed = 0;
  constructor(private readonly perMinute: number) {}

  write(entry: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.windowStart >= 60_000) {
      if (this.suppressed > 0) this.emit({ msg: 'refusals not logged', count: this.suppressed });
      this.windowStart = now;
      this.lines = 0;
      this.suppressed = 0;
    }
    if (this.lines >= this.perMinute) {
      this.suppressed += 1;
      return;
    }
    this.lines += 1;
    this.emit({ msg: 'registry call refused', ...entry });
  }

  private emit(o: Record<string, unknown>): void {
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), service: 'registry-guard', ...o }) + '\n');
  }
}

export const guardShape = {
  /** Address the guard listens on (the registry's public address). */
  REGISTRY_GUARD_HOST: z.string().min(1).default('127.0.0.1'),
  /** Port the guard listens on (the registry's public port). */
  REGISTRY_GUARD_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  /** Apicurio's private base URL (scheme, host and port only). */
  REGISTRY_GUARD_UPSTREAM: z.url().default('http://127.0.0.1:8082'),
  /** Kafka identities file ({"users": {...}}); its ulasan-admin is the registry's admin. */
  REGISTRY_GUARD_CREDENTIALS_FILE: z.string().min(1),
  /** Most refusal log lines a minute (the rest are counted in one line). */
  REGISTRY_GUARD_LOG_PER_MINUTE: z.coerce.number().int().min(1).default(60),
};

export const ADMIN_IDENTITY = 'ulasan-admin';

function refuse(res: http.ServerResponse, status: number, message: string): void {
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  if (status === 401) headers['www-authenticate'] = 'Basic realm="ulasan-registry", charset="UTF-8"';
  res.writeHead(status, headers).end(JSON.stringify({ error_code: status, message }));
}

const HOP_BY_HOP = ['authorization', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'upgrade'];
const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override'];

function forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: URL): void {
  const headers: http.OutgoingHttpHeaders = { ...req.headers, host: upstream.host };
  for (const h of [...HOP_BY_HOP, ...METHOD_OVERRIDES]) delete headers[h];
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  // Apicurio down: 502, which the serde reads as REGISTRY_UNAVAILABLE (a wait, never a dead letter).
  out.on('error', (err) => {
    if (!res.headersSent) refuse(res, 502, `schema registry unavailable: ${err.message}`);
    else res.destroy();
  });
  req.pipe(out);
}

export interface GuardOptions {
  upstream: string;
  identities: Identity[];
  logPerMinute?: number;
}

/** The guard's request handler on a plain http.Server (listen is the caller's). */
export function createGuard(o: GuardOptions): http.Server {
  const upstream = new URL(o.upstream);
  const log = new RefusalLog(o.logPerMinute ?? 60);
  return http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const access = classify(method, req.url ?? '/');
    const address = req.socket.remoteAddress;
    const route = `${method} ${(req.url ?? '/').split('?')[0]}`;
    if (access === 'bad') {
      log.write({ address, route, status: 400, reason: 'path with dot segments, encoded slashes or parameters' });
      return refuse(res, 400, 'malformed registry path');
    }
    if (METHOD_OVERRIDES.some((h) => req.headers[h] !== undefined) && access !== 'admin') {
      log.write({ address, route, status: 400, reason: 'method override header' });
      return refuse(res, 400, 'method override headers are not accepted');
    }
    if (access === 'admin') {
      const who = authenticate(req.headers.authorization, o.identities);
      if (who === 'anonymous' || who === 'invalid') {
        log.write({ address, route, status: 401, reason: who === 'anonymous' ? 'no credentials' : 'bad credentials' });
        return refuse(res, 401, 'this registry call needs the admin identity (HTTP basic)');
      }
      if (who !== ADMIN_IDENTITY) {
        log.write({ address, identity: who, route, status: 403, reason: 'not the admin identity' });
        return refuse(res, 403, `${who} may read and register schemas, not change configuration or delete`);
      }
    }
    forward(req, res, upstream);
  });
}

/** The identities of a Kafka credentials file, for the guard. */
export function guardIdentities(file: string): Identity[] {
  return Object.values(readKafkaIdentities(file)).map((u) => ({ username: u.username, password: u.password }));
}

async function main(): Promise<void> {
  const parsed = z.object(guardShape).safeParse(process.env);
  if (!parsed.success) {
    const bad = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ');
    console.error(`registry-guard: bad configuration: ${bad}`);
    process.exit(2);
  }
  const c = parsed.data;
  const identities = guardIdentities(c.REGISTRY_GUARD_CREDENTIALS_FILE);
  if (!identities.some((i) => i.username === ADMIN_IDENTITY)) {
    console.error(`registry-guard: ${c.REGISTRY_GUARD_CREDENTIALS_FILE} has no ${ADMIN_IDENTITY}`);
    process.exit(2);
  }
  const server = createGuard({
    upstream: c.REGISTRY_GUARD_UPSTREAM,
    identities,
    logPerMinute: c.REGISTRY_GUARD_LOG_PER_MINUTE,
  });
  server.listen(c.REGISTRY_GUARD_PORT, c.REGISTRY_GUARD_HOST, () => {
    const line = { msg: 'listening', host: c.REGISTRY_GUARD_HOST, port: c.REGISTRY_GUARD_PORT };
    console.log(JSON.stringify({ service: 'registry-guard', ...line, upstream: c.REGISTRY_GUARD_UPSTREAM }));
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.on(sig, () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
}

if (process.argv[1] && /registry-guard\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(`registry-guard: ${(err as Error).message}`);
    process.exit(1);
  });
}
