// The small HTTP port every process exposes: /metrics (Prometheus text) and /health.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export function startOpsServer(port: number, host: string, metrics: Registry, healthy: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (req.url === '/health') {
      const ok = healthy();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy' }));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
