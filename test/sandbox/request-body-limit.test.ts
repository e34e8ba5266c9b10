import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCARD_AFTER_REFUSAL_BYTES, handleAwsJsonRequest } from '#sandbox/aws-json-protocol.ts';

let server: Server;
let port: number;

/** An AWS JSON service as the sandbox serves one: it reads the body (up to 8 MiB) and answers it. */
beforeAll(async () => {
  server = createServer((req, res) => {
    void handleAwsJsonRequest(req, res, {
      namespace: 'com.amazonaws.test',
      targetPrefix: 'Test',
      handle: async (_operation, input) => input,
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

describe('a request body over the limit', () => {
  it('is answered 413 at once, read and discarded while the client sends it, and the request after it on the same connection is answered', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
    });
    const size = 9 * 1024 * 1024;
    const request = (length: number) =>
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Amz-Target: Test.Echo\r\nContent-Length: ${length}\r\n\r\n`;

    socket.write(request(size));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < size; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise((drained) => socket.once('drain', drained));
    }
    socket.write(`${request(9)}{"n":"1"}`);
    for (let i = 0; i < 100 && !received.includes('{"n":"1"}'); i++) {
      await new Promise((wait) => setTimeout(wait, 50));
    }
    socket.destroy();

    expect(received.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 413', 'HTTP/1.1 200']);
    expect(received).toContain('"__type":"com.amazonaws.test#RequestEntityTooLarge"');
    expect(received.endsWith('{"n":"1"}')).toBe(true);
  });

  it(`closes the connection of a client that keeps sending more than ${DISCARD_AFTER_REFUSAL_BYTES / 1024 / 1024} MiB past the limit`, async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
    });
    socket.on('error', () => undefined);
    const closed = new Promise((done) => socket.once('close', done));
    let open = true;
    void closed.then(() => {
      open = false;
    });

    socket.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Amz-Target: Test.Echo\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const frame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    let sent = 0;
    while (open && sent < 8 * 1024 * 1024 + 2 * DISCARD_AFTER_REFUSAL_BYTES) {
      sent += chunk.length;
      if (!socket.write(frame)) {
        await Promise.race([new Promise((drained) => socket.once('drain', drained)), closed]);
      }
    }
    await closed;

    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeGreaterThan(8 * 1024 * 1024 + DISCARD_AFTER_REFUSAL_BYTES);
    expect(sent).toBeLessThan(8 * 1024 * 1024 + 2 * DISCARD_AFTER_REFUSAL_BYTES);
  });
});
