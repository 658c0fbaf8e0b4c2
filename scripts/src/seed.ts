import { DEMO_PARTNERS, DEMO_PROGRAMS, type DemoCredentials, type DemoFixtures, type DemoPartnerKey, type DemoWorld } from '@union/common';
import { gatewayDataSource, PartnerRegistry } from '@union/gateway';
import { demoWorld, generateDemoData, memberDataSource, seedMemberDemo } from '@union/member-subgraph';
import { benefitDataSource, seedHospitalDemo, seedVoucherDemo } from '@union/benefit-subgraph';
import { pointsDataSource, seedPointsDemo } from '@union/points-subgraph';
import type { DataSource } from 'typeorm';

export interface SeedSettings {
  databaseUrl: string;
  idNumberHmacKey: string;
  memberCount?: number;
  /** Secrets of demo partners created earlier (a partner's secret cannot be read back from its hash). */
  knownSecrets?: Partial<Record<DemoPartnerKey, string>>;
}

async function withDataSource<T>(dataSource: DataSource, work: (db: DataSource) => Promise<T>): Promise<T> {
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Each service's demo seed after the member world exists; each one does nothing on data it already has. */
const serviceSeeds: Array<{ service: 'benefit' | 'points'; run(db: DataSource, world: DemoWorld): Promise<void> }> = [
  { service: 'benefit', run: seedHospitalDemo },
  { service: 'benefit', run: seedVoucherDemo },
  { service: 'points', run: seedPointsDemo },
];

const dataSourceOf = { benefit: benefitDataSource, points: pointsDataSource };

/**
 * Seeds the demo world into every service (only where empty) and returns the demo credentials in
 * the shape of shared/contract/demo-fixtures.md, except the URLs, which the launcher fills in.
 */
export async function seedDemo(settings: SeedSettings): Promise<DemoFixtures> {
  const data = generateDemoData({ memberCount: settings.memberCount });
  const world = demoWorld(data);
  await withDataSource(memberDataSource({ databaseUrl: settings.databaseUrl, dbSchema: 'member', poolSize: 2 }), (db) =>
    seedMemberDemo(db, settings.idNumberHmacKey, data),
  );
  for (const seed of serviceSeeds) {
    const dataSource = dataSourceOf[seed.service]({ databaseUrl: settings.databaseUrl, dbSchema: seed.service, poolSize: 2 });
    await withDataSource(dataSource, (db) => seed.run(db, world));
  }

  const partners = await withDataSource(gatewayDataSource({ databaseUrl: settings.databaseUrl, dbSchema: 'gateway', poolSize: 2 }), async (db) => {
    const registry = new PartnerRegistry(db);
    const organizationOf: Partial<Record<DemoPartnerKey, string>> = {
      cityUnion: world.organizations.cityUnionOrgId,
      districtUnion: world.organizations.districtUnionOrgId,
      siblingDistrictUnion: world.organizations.siblingDistrictUnionOrgId,
    };
    const result = {} as DemoCredentials['partners'];
    for (const [key, partner] of Object.entries(DEMO_PARTNERS) as Array<[DemoPartnerKey, (typeof DEMO_PARTNERS)[DemoPartnerKey]]>) {
      const ensured = await registry.ensure({ id: partner.id, name: partner.name, kind: partner.kind, organizationId: organizationOf[key] });
      const clientSecret = ensured.clientSecret ?? settings.knownSecrets?.[key] ?? '(shown once when created; rotate with npm run partner -- rotate-secret)';
      result[key] = {
        id: partner.id,
        clientId: ensured.partner.clientId,
        clientSecret,
        ...(organizationOf[key] ? { organizationId: organizationOf[key] } : {}),
      };
    }
    return result;
  });

  return {
    partners,
    members: [...world.districtMembers, ...world.siblingDistrictMembers],
    hospitalProgramId: DEMO_PROGRAMS.hospital,
    travelCardProgramId: DEMO_PROGRAMS.travelCard,
    welfareProgramId: DEMO_PROGRAMS.welfare,
  };
}
