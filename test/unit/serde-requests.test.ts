// The serde asks the registry once per schema id, however many records need it at the same time.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '../../platform/serde/serde.js';

let requests = 0;
const server = createServer((req, res) => {
  requests += 1;
  setTimeout(
    () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ schema: '"string"' })),
    50,
  );
});

beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('AvroSerde registry requests', () => {
  it('fetches a schema once for 1,000 concurrent lookups', async () => {
    const serde = new AvroSerde(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const types = await Promise.all(Array.from({ length: 1000 }, () => serde.typeFor(7)));
    expect(requests).toBe(1);
    expect(new Set(types).size).toBe(1);
  });
});
