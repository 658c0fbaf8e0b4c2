import { connect } from 'node:net';

/**
 * A loopback port nothing listens on and nothing will be given while a suite runs: a service
 * "down" at it is refused (ECONNREFUSED) for the whole suite. Ports the system asks the kernel for
 * (listen on port 0) and outgoing connections' source ports both come from the ephemeral range
 * (32768-60999 on Linux), so a port below it that refuses now keeps refusing. A port taken from
 * freePort() and released could be handed to one of the system's own services a moment later.
 */
export async function refusingPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await refuses(port)) return port;
  }
  throw new Error('no refusing loopback port found below the ephemeral range');
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
