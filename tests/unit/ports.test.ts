import { createServer } from 'node:net';
import { freePorts, servicePorts } from '../../scripts/src/system';

/** The ports a launcher hands its services: distinct, free, and never one promised elsewhere. */
describe('free ports for the services', () => {
  it('are distinct and free, every time, even when many are asked for at once', async () => {
    for (let round = 0; round < 20; round++) {
      const ports = await freePorts(6);
      expect(new Set(ports).size).toBe(6);
      for (const port of ports) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it('leave out ports promised to a service that has not bound them yet', async () => {
    const promised = await freePorts(40);
    const picked = await freePorts(20, '127.0.0.1', promised);
    expect(picked).toHaveLength(20);
    expect(picked.filter((port) => promised.includes(port))).toEqual([]);
  });

  it('keep the ports given and fill in the rest without repeating a given one', async () => {
    const [gateway, postgres] = await freePorts(2);
    const ports = await servicePorts({ gateway, postgres }, '127.0.0.1');
    expect(ports.gateway).toBe(gateway);
    const all = [...Object.values(ports), postgres];
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuse one port given to two services', async () => {
    await expect(servicePorts({ gateway: 4100, benefit: 4100 }, '127.0.0.1')).rejects.toThrow('port 4100 is given to two services');
  });
});
