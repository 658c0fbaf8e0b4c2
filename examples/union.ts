/**
 * A district union building on its own subtree (e.g. a 扫码入会 mini-program), with the typed client:
 *   1. who am I, and my organization's stats and children,
 *   2. enroll a worker into one of my organizations, find them by card number,
 *   3. move them to another of my organizations (转会) and read their membership history,
 *   4. page through my members (keyset cursors), and stream an export of the active ones.
 *
 *   npx tsc -p examples && node examples/dist/examples/union.js
 */
import { enrollMember, membershipHistory, organizationMembers, organizationOverview, transferMember, UnionApiClient, viewer } from '../clients/typescript/src';
import { type DemoCredentialsFile, partnerCredentials, readDemoCredentials, runMain } from './config';

/** A structurally valid resident ID number for the demo (GB 11643 check character); never a real person's. */
function demoResidentId(): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const birth = new Date(Date.UTC(1975 + Math.floor(Math.random() * 30), Math.floor(Math.random() * 12), 1 + Math.floor(Math.random() * 28)));
  const first17 = `440106${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11];
}

export async function runUnionExample(demo: DemoCredentialsFile | null = readDemoCredentials(), log: (line: string) => void = console.log) {
  const union = new UnionApiClient(partnerCredentials('districtUnion', demo));

  const { viewer: me } = await viewer(union);
  if (me.kind !== 'UNION' || !me.organization) throw new Error('this example needs a UNION partner');
  const organizationId = me.organization.id;
  const { organization: overview } = await organizationOverview(union, { organizationId });
  const stats = overview!.stats;
  log(`${me.name}: ${stats.memberCount} members, ${stats.activeMemberCount} active, ${(stats.realNameVerificationRate * 100).toFixed(1)}% real-name verified`);
  const [workplace, otherWorkplace] = overview!.children.nodes;
  if (!workplace || !otherWorkplace) throw new Error('the example needs two organizations below the union');

  const { enrollMember: worker } = await enrollMember(union, {
    input: {
      organizationId: workplace.id,
      fullName: '黄志强',
      idNumber: demoResidentId(),
      phone: `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
      newEmploymentForm: true,
    },
  });
  log(`enrolled ${worker.fullName} into ${worker.organization.name}, card ${worker.cardNumber}`);

  const { organization: found } = await organizationMembers(union, { organizationId, filter: { search: worker.cardNumber } });
  log(`search by card number finds ${found!.members.totalCount} member(s)`);

  const { transferMember: moved } = await transferMember(union, { memberId: worker.id, toOrganizationId: otherWorkplace.id });
  const { member: history } = await membershipHistory(union, { memberId: moved.id });
  log(`moved to ${moved.organization.name}; history: ${history!.membershipHistory.nodes.map((e) => `${e.kind} -> ${e.toOrganization.name}`).join(', ')}`);

  // Keyset pages: pass endCursor as `after`; page 500 costs what page 1 costs.
  let after: string | null = null;
  let listed = 0;
  for (let page = 0; page < 3; page++) {
    const { organization: listing } = await organizationMembers(union, { organizationId, first: 50, after, filter: { status: 'ACTIVE' } });
    listed += listing!.members.nodes.length;
    if (!listing!.members.pageInfo.hasNextPage) break;
    after = listing!.members.pageInfo.endCursor;
  }
  log(`read ${listed} active members in pages of 50`);

  // The export streams: lines arrive as the database cursor produces them.
  const file = await union.exportMembers({ organizationId, format: 'csv', status: 'ACTIVE' });
  let rows = -1; // the header line
  for await (const line of file.lines) if (line) rows += 1;
  log(`exported ${rows} active members (export ${file.exportId}, ${file.masked ? 'masked' : 'with personal data'})`);

  return {
    example: 'union',
    memberCount: stats.memberCount,
    enrolledCard: worker.cardNumber,
    found: found!.members.totalCount,
    movedTo: moved.organization.id,
    history: history!.membershipHistory.nodes.map((e) => e.kind),
    listed,
    exportedRows: rows,
  };
}

if (require.main === module) runMain(() => runUnionExample());
