import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** No Docker engine runs here, so the compose file is checked for what would break a real `docker compose up`. */
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { build?: string; image?: string; command?: string[]; ports?: string[]; depends_on?: Record<string, { condition: string }>; healthcheck?: unknown }>;
};
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('docker-compose.yml', () => {
  const services = Object.entries(compose.services);

  it('has postgres (with a healthcheck), a one-shot migrate, the four subgraphs and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['benefit', 'events', 'gateway', 'member', 'migrate', 'points', 'postgres']);
    expect(compose.services.postgres.healthcheck).toBeDefined();
    expect(compose.services.member.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(compose.services.migrate.depends_on?.postgres.condition).toBe('service_healthy');
  });

  it.each(services)('%s depends only on services that exist, with conditions they can meet', (_name, service) => {
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      expect(compose.services[dependency]).toBeDefined();
      if (condition === 'service_healthy') expect(compose.services[dependency].healthcheck).toBeDefined();
    }
  });

  it('publishes no host port twice', () => {
    const hostPorts = services.flatMap(([, s]) => (s.ports ?? []).map((p) => p.split(':')[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it.each(services.filter(([, s]) => s.command))('%s runs an npm script that exists and a file the build produces', (_name, service) => {
    const [tool, run, script] = service.command!;
    expect([tool, run]).toEqual(['npm', 'run']);
    expect(scripts[script]).toBeDefined();
    for (const file of scripts[script].match(/[\w/]+\/dist\/[\w.-]+\.js/g) ?? []) {
      expect(existsSync(join(root, file.replace('/dist/', '/src/').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('builds from a Dockerfile that exists', () => {
    expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
  });
});
