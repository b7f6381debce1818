import { connect, createServer, type Socket } from 'node:net';

/** SSLRequest and GSSENCRequest: answered `N`, this proxy speaks plain TCP only. */
const ENCRYPTION_REQUESTS = new Set([80877103, 80877104]);

/** An ErrorResponse message, as PostgreSQL sends one before closing. */
function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', code],
      ['M', message],
    ].map(([key, value]) => Buffer.from(`${key}${value}\0`)),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

/** AuthenticationCleartextPassword. */
const askForPassword = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

export interface PasswordProxy {
  port: number;
  /** Every password a client sent, in order. */
  passwords: string[];
  close(): Promise<void>;
}

/**
 * A PostgreSQL server that asks for a password, for tests against a server that trusts every
 * local connection: it answers the start of each connection itself, asks for `password` in
 * clear text, refuses a wrong one as PostgreSQL does (28P01), and on the right one replays the
 * client's startup message to the real server at `upstream` and relays both ways from there.
 */
export async function passwordProxy(
  upstream: { host: string; port: number },
  password: string,
): Promise<PasswordProxy> {
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    track(client);
    let buffer = Buffer.alloc(0);
    let startup: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (!startup) {
        if (buffer.length < 8 || buffer.length < buffer.readInt32BE(0)) return;
        const message = buffer.subarray(0, buffer.readInt32BE(0));
        buffer = buffer.subarray(message.length);
        if (ENCRYPTION_REQUESTS.has(message.readInt32BE(4))) {
          client.write('N');
          continue;
        }
        startup = Buffer.from(message);
        client.write(askForPassword);
      }
      if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
      client.off('data', onData);
      const body = buffer.subarray(5, 1 + buffer.readInt32BE(1));
      const rest = buffer.subarray(1 + buffer.readInt32BE(1));
      const given = body.subarray(0, body.indexOf(0)).toString('utf8');
      passwords.push(given);
      if (buffer[0] !== 0x70 || given !== password) {
        client.end(errorResponse('28P01', 'password authentication failed'));
        return;
      }
      const real = connect(upstream.port, upstream.host, () => {
        real.write(startup as Buffer);
        if (rest.length) real.write(rest);
        client.pipe(real);
        real.pipe(client);
      });
      track(real);
      real.on('close', () => client.destroy());
      client.on('close', () => real.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    port,
    passwords,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    },
  };
}
