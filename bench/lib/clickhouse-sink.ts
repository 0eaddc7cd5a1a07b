// A ClickHouse HTTP endpoint that stores nothing, run as a child process by `bench:scoring --clickhouse
// sink`: it answers the client's pings, commands and queries (empty results) and counts the rows of
// each INSERT, so the scorer's process pays only its own side of an insert over HTTP (building the
// rows, @clickhouse/client's serialisation and the request), as it would against a ClickHouse server
// in another process or machine. The server's own work (parse, part writes, merges) is not in that
// figure: with chdb it is, on chdb's threads. Not a ClickHouse: benchmarks only, never tests.
import { createServer } from 'node:http';

const rows = new Map<string, number>();
// Query parameters travel in the URL (the known-ids lookup sends a batch's ids): ClickHouse takes URLs
// up to 1 MiB (http_max_uri_size), Node's server 16 KB of headers unless told.
const server = createServer({ maxHeaderSize: 4 * 1024 * 1024 }, (req, res) => {
  const url = new URL(req.url ?? '/', 'http://sink');
  if (url.pathname === '/ping') return void res.end('Ok.\n');
  if (url.pathname === '/__sink/rows') return void res.end(JSON.stringify(Object.fromEntries(rows)));
  const insert = /^INSERT INTO\s+([\w.]+)/i.exec(url.searchParams.get('query') ?? '');
  let lines = 0;
  req.on('data', (chunk: Buffer) => {
    if (insert) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  });
  req.on('end', () => {
    if (insert) rows.set(insert[1]!, (rows.get(insert[1]!) ?? 0) + lines);
    res.writeHead(200, { 'content-type': 'text/plain', 'x-clickhouse-summary': '{}' });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
