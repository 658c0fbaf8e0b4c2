import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, escapeIdentifier } from 'pg';

/**
 * Scale data for the member subgraph: a province-shaped organization tree (21 cities, their
 * districts, streets and parks with 100-160 enterprise unions each, industry federations of the
 * platform economy: ~131,000 unions)
 * and N members, generated inside PostgreSQL with generate_series: no row travels from Node.
 *
 * `npm run seed:scale -- --members 1000000` (against the database of a running `npm start`, or
 * --database-url / MEMBER_DATABASE_URL / DATABASE_URL). Everything happens in one transaction:
 * the counter triggers, indexes and key constraints of members are off for the load, the scale
 * tree's counters computed once from the rows, the indexes built and the constraints checked at
 * the end, so a failed or killed load leaves nothing behind and readers see either no scale data
 * or all of it with correct counters (they wait for the commit: members is locked meanwhile).
 *
 * Scale members are synthetic: their id_number_hash is a hash of their sequence number, not of a
 * resident ID, so enrolling a real person never collides with them; card numbers are
 * 'GD' + year + (10000000 + n), between the demo members (below 10000000) and online enrollment
 * (the 9xxxxxxx block).
 */

/** Fixed so the benchmark and the README can name it. */
export const SCALE_ROOT_ID = 'e0000000-0000-4000-8000-000000000001';
export const SCALE_ROOT_NAME = '广东省总工会（规模数据）';
const FIRST_CARD_SEQUENCE = 10_000_000;
const LAST_CARD_SEQUENCE = 89_999_999;

type Kind = 'FEDERATION' | 'INDUSTRY_FEDERATION' | 'REGIONAL' | 'ENTERPRISE';

interface ScaleOrganization {
  id: string;
  parentIndex: number | null;
  name: string;
  kind: Kind;
  /** Relative share of the province's members placed directly here (0 for unions without own members). */
  weight: number;
  /** Share of new-employment-form workers among its members, in permille. */
  nefPermille: number;
}

/** Guangdong's 21 prefecture-level cities: county-level divisions (towns for 东莞/中山) and population share in percent. */
const CITIES: ReadonlyArray<[name: string, districts: number, population: number]> = [
  ['广州', 11, 14.9],
  ['深圳', 10, 14.0],
  ['珠海', 3, 1.9],
  ['汕头', 7, 4.4],
  ['佛山', 5, 7.6],
  ['韶关', 10, 2.3],
  ['湛江', 9, 5.5],
  ['肇庆', 8, 3.2],
  ['江门', 7, 3.8],
  ['茂名', 6, 4.9],
  ['惠州', 5, 4.8],
  ['梅州', 8, 3.1],
  ['汕尾', 4, 2.1],
  ['河源', 6, 2.2],
  ['阳江', 4, 2.1],
  ['清远', 8, 3.1],
  ['东莞', 8, 8.3],
  ['中山', 6, 3.5],
  ['潮州', 3, 2.0],
  ['揭阳', 5, 4.4],
  ['云浮', 5, 1.9],
];
const STREETS_PER_DISTRICT = 8;
/**
 * Enterprise unions per street or park: 86 to 146 (116 on average), so the province has about
 * 130,000 enterprise unions and 131,000 organizations in all, the size of a real provincial
 * federation's register (goal 5 of issue 12).
 */
const enterprisesPerStreet = (d: number, s: number) => 86 + ((d * 31 + s * 17) % 61);
const PLATFORM_INDUSTRIES = ['快递行业', '网约车行业', '外卖配送行业'];
const PLATFORM_COMPANIES = 5;

/** Deterministic v4-shaped UUIDs, so a seed gives the same tree every time. */
function uuidFrom(seed: number, n: number): string {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  let b = (n * 0x85ebca6b) >>> 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    a = Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + b + i;
    b = Math.imul(b ^ (b >>> 13), 0x297a2d39) ^ a;
    words.push((a ^ b) >>> 0);
  }
  const hex = words.map((w) => w.toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The tree, parents before children. */
export function scaleTree(seed = 1): ScaleOrganization[] {
  const out: ScaleOrganization[] = [];
  const add = (parentIndex: number | null, name: string, kind: Kind, weight: number, nefPermille: number) => {
    out.push({ id: out.length === 0 ? SCALE_ROOT_ID : uuidFrom(seed, out.length), parentIndex, name, kind, weight, nefPermille });
    return out.length - 1;
  };
  const root = add(null, SCALE_ROOT_NAME, 'FEDERATION', 0.002, 20);
  for (const [city, districts, population] of CITIES) {
    const cityIndex = add(root, `${city}市总工会（规模数据）`, 'FEDERATION', population * 0.002, 20);
    // 80 % of a city's members work in enterprises under streets and parks, 12 % in the platform economy.
    let enterprises = 0;
    for (let d = 1; d <= districts; d++) for (let s = 1; s <= STREETS_PER_DISTRICT; s++) enterprises += enterprisesPerStreet(d, s);
    const perEnterprise = (population * 0.8) / enterprises;
    for (let d = 1; d <= districts; d++) {
      const district = add(cityIndex, `${city}市第${d}区总工会`, 'FEDERATION', (population * 0.01) / districts, 20);
      for (let s = 1; s <= STREETS_PER_DISTRICT; s++) {
        const street = add(district, `${city}市第${d}区第${s}街道工会联合会`, 'REGIONAL', (population * 0.06) / (districts * STREETS_PER_DISTRICT), 30);
        for (let e = 1; e <= enterprisesPerStreet(d, s); e++) {
          // Enterprise sizes vary over two orders of magnitude.
          const size = perEnterprise * (0.2 + 1.6 * (((d * 31 + s * 7 + e * 13) % 17) / 16));
          add(street, `${city}${d}区${s}街第${e}企业工会`, 'ENTERPRISE', size, 20);
        }
      }
    }
    for (const industry of PLATFORM_INDUSTRIES) {
      const federation = add(cityIndex, `${city}市${industry}工会联合会`, 'INDUSTRY_FEDERATION', (population * 0.02) / PLATFORM_INDUSTRIES.length, 900);
      for (let c = 1; c <= PLATFORM_COMPANIES; c++) {
        add(federation, `${city}${industry}第${c}平台企业工会`, 'ENTERPRISE', (population * 0.1) / (PLATFORM_INDUSTRIES.length * PLATFORM_COMPANIES), 600);
      }
    }
  }
  return out;
}

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
  '罗',
  '高',
  '梁',
  '郑',
  '谢',
  '宋',
  '唐',
  '许',
  '邓',
  '冯',
  '韩',
  '曹',
  '曾',
  '彭',
  '萧',
  '蔡',
  '潘',
  '田',
  '董',
  '袁',
  '于',
  '余',
  '叶',
  '蒋',
  '杜',
  '苏',
  '魏',
  '程',
  '吕',
  '丁',
  '沈',
  '任',
  '姚',
  '卢',
  '钟',
  '姜',
  '崔',
  '谭',
  '陆',
  '范',
  '汪',
  '廖',
];
const GIVEN = [
  '伟',
  '强',
  '磊',
  '军',
  '勇',
  '杰',
  '涛',
  '斌',
  '超',
  '明',
  '刚',
  '平',
  '辉',
  '鹏',
  '华',
  '飞',
  '鑫',
  '波',
  '宇',
  '浩',
  '芳',
  '娜',
  '敏',
  '静',
  '秀',
  '丽',
  '艳',
  '娟',
  '霞',
  '玲',
  '婷',
  '燕',
  '慧',
  '莹',
  '雪',
  '琳',
  '倩',
  '颖',
  '洁',
  '佳',
];
const sqlArray = (items: string[]) => `ARRAY[${items.map((s) => `'${s}'`).join(',')}]::text[]`;

/** Slots for mapping a member's hash (several per organization, so small unions keep their relative sizes) to an organization in proportion to the organizations' weights. */
const SLOTS = 1_000_000;

export interface ScaleOptions {
  members: number;
  /** The member subgraph's PostgreSQL schema. */
  schema?: string;
  seed?: number;
  /** Remove an earlier scale tree (and its members) first instead of refusing. */
  replace?: boolean;
  /** Rows per INSERT statement (progress is reported per chunk). */
  chunk?: number;
  log?: (line: string) => void;
  /** Insert into the indexed table instead of dropping the indexes and rebuilding them after the rows (slower beyond a few thousand rows). */
  keepIndexes?: boolean;
  /** maintenance_work_mem for the index builds of this load (default 1GB). */
  maintenanceWorkMem?: string;
}

export interface ScaleResult {
  rootId: string;
  organizations: number;
  members: number;
  /** Phases: the members' rows, their counters, the indexes and constraints rebuilt, VACUUM and ANALYZE. */
  seconds: { organizations: number; members: number; counters: number; indexes: number; analyze: number; total: number };
}

/** What dropMemberIndexes took off the members table, to be put back as it was. */
interface DeferredIndexes {
  /** Plain indexes: their CREATE INDEX statements. */
  indexes: string[];
  /** Constraints of members (primary key, unique, foreign key) and foreign keys of other tables that reference members: ALTER TABLE ... ADD statements. */
  constraints: string[];
}

/**
 * Drops every index and every key constraint of members and the foreign keys that point at it,
 * remembering their definitions from the catalog, so the load writes bare rows and the indexes
 * are built once afterwards (whatever indexes the migrations have made by then).
 */
async function dropMemberIndexes(sql: Client): Promise<DeferredIndexes> {
  const constraints = (
    await sql.query(
      `SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)) AS add,
              format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop
         FROM pg_constraint c
        WHERE (c.conrelid = 'members'::regclass AND c.contype IN ('p', 'u', 'f')) OR (c.confrelid = 'members'::regclass AND c.contype = 'f')
        -- Foreign keys first (they need the keys they point at), keys last; re-added in the opposite order.
        ORDER BY (c.contype = 'f') DESC, c.conname`,
    )
  ).rows as Array<{ add: string; drop: string }>;
  const indexes = (
    await sql.query(
      `SELECT pg_get_indexdef(i.indexrelid) AS create, format('DROP INDEX %s', i.indexrelid::regclass) AS drop
         FROM pg_index i
        WHERE i.indrelid = 'members'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = 'members'::regclass)
        ORDER BY i.indexrelid::regclass::text`,
    )
  ).rows as Array<{ create: string; drop: string }>;
  for (const c of constraints) await sql.query(c.drop);
  for (const i of indexes) await sql.query(i.drop);
  return { indexes: indexes.map((i) => i.create), constraints: constraints.map((c) => c.add).reverse() };
}

async function restoreMemberIndexes(sql: Client, deferred: DeferredIndexes, log: (line: string) => void): Promise<void> {
  for (const statement of [...deferred.indexes, ...deferred.constraints]) {
    const t0 = Date.now();
    await sql.query(statement);
    log(`${statement.replace(/\s+/g, ' ').slice(0, 110)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

export async function seedScale(databaseUrl: string, options: ScaleOptions): Promise<ScaleResult> {
  const { members } = options;
  const schema = options.schema ?? 'member';
  const seed = options.seed ?? 1;
  const chunk = options.chunk ?? 250_000;
  const log = options.log ?? (() => {});
  if (!Number.isSafeInteger(members) || members < 1 || members > LAST_CARD_SEQUENCE - FIRST_CARD_SEQUENCE) {
    throw new RangeError(`--members must be between 1 and ${LAST_CARD_SEQUENCE - FIRST_CARD_SEQUENCE}`);
  }
  const started = Date.now();
  const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
  const sql = new Client({ connectionString: databaseUrl, application_name: 'seed-scale' });
  await sql.connect();
  try {
    await sql.query(`SET search_path TO ${escapeIdentifier(schema)}`);
    await sql.query('BEGIN');
    await sql.query('SET LOCAL synchronous_commit = off');
    await sql.query(`SELECT set_config('maintenance_work_mem', $1, true)`, [options.maintenanceWorkMem ?? '1GB']);
    // The counters group the members by organization in memory (130,000 groups) instead of spilling to disk.
    await sql.query(`SET LOCAL work_mem = '256MB'`);
    // Nobody else writes members while the counters are off (enrollments wait for the commit).
    await sql.query('LOCK TABLE members, organizations, organization_stats IN SHARE ROW EXCLUSIVE MODE');

    const existing = await sql.query(`SELECT path FROM organizations WHERE id = $1`, [SCALE_ROOT_ID]);
    if (existing.rowCount) {
      if (!options.replace) throw new Error(`scale data is already loaded (organization ${SCALE_ROOT_ID}); pass --replace to load it again`);
      const path = existing.rows[0].path as string;
      const upper = `${path.slice(0, -1)}0`;
      log('removing the earlier scale data');
      await sql.query('ALTER TABLE members DISABLE TRIGGER USER');
      await sql.query(`DELETE FROM membership_events WHERE member_id IN (SELECT id FROM members WHERE org_path >= $1 AND org_path < $2)`, [path, upper]);
      await sql.query(`DELETE FROM member_exports WHERE organization_id IN (SELECT id FROM organizations WHERE path >= $1 AND path < $2)`, [path, upper]);
      await sql.query(`DELETE FROM members WHERE org_path >= $1 AND org_path < $2`, [path, upper]);
      await sql.query(`DELETE FROM organization_stats WHERE organization_id IN (SELECT id FROM organizations WHERE path >= $1 AND path < $2)`, [path, upper]);
      await sql.query(`DELETE FROM organizations WHERE path >= $1 AND path < $2`, [path, upper]);
      await sql.query('ALTER TABLE members ENABLE TRIGGER USER');
    }

    // Organizations: node numbers come from the identity's own sequence, so paths can be built here.
    let phase = Date.now();
    const tree = scaleTree(seed);
    const nodeNumbers = (
      await sql.query(`SELECT nextval(pg_get_serial_sequence('organizations', 'node_no')) AS n FROM generate_series(1, $1)`, [tree.length])
    ).rows.map((r) => String(r.n));
    const paths: string[] = [];
    const depths: number[] = [];
    tree.forEach((o, i) => {
      const parentPath = o.parentIndex === null ? '/' : paths[o.parentIndex]!;
      paths.push(`${parentPath}${nodeNumbers[i]}/`);
      depths.push(o.parentIndex === null ? 0 : depths[o.parentIndex]! + 1);
    });
    await sql.query(
      `INSERT INTO organizations (id, node_no, parent_id, name, kind, path, depth) OVERRIDING SYSTEM VALUE
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[])`,
      [
        tree.map((o) => o.id),
        nodeNumbers,
        tree.map((o) => (o.parentIndex === null ? null : tree[o.parentIndex]!.id)),
        tree.map((o) => o.name),
        tree.map((o) => o.kind),
        paths,
        depths,
      ],
    );
    const organizationSeconds = seconds(phase);
    log(`${tree.length} organizations in ${organizationSeconds} s`);

    // Members: each hashes to a slot; slots are handed out to organizations by weight (made here,
    // in PostgreSQL: a couple of million small rows never travel from Node).
    phase = Date.now();
    const totalWeight = tree.reduce((sum, o) => sum + o.weight, 0);
    await sql.query(`CREATE TEMP TABLE scale_homes (idx int PRIMARY KEY, id uuid, path text COLLATE "C", nef_permille int, share int) ON COMMIT DROP`);
    await sql.query(`INSERT INTO scale_homes SELECT * FROM unnest($1::int[], $2::uuid[], $3::text[], $4::int[], $5::int[])`, [
      tree.map((_, i) => i + 1),
      tree.map((o) => o.id),
      paths,
      tree.map((o) => o.nefPermille),
      tree.map((o) => Math.max(1, Math.round((o.weight / totalWeight) * SLOTS))),
    ]);
    // No index: the load joins it by hash.
    await sql.query(`CREATE TEMP TABLE scale_slots (slot int, idx int) ON COMMIT DROP`);
    const slotCount = (
      await sql.query(`INSERT INTO scale_slots SELECT row_number() OVER (ORDER BY h.idx, k) - 1, h.idx FROM scale_homes h, generate_series(1, h.share) k`)
    ).rowCount!;
    await sql.query('ANALYZE scale_homes, scale_slots');

    // The load runs without indexes, constraints or triggers on members: rows first, then each
    // index built once from sorted rows (minutes at 15 million, against hours of random B-tree
    // inserts with 128 MB of shared buffers), then the constraints re-added and checked. All of it
    // inside this transaction: a load that fails or is killed rolls back to the indexed table it
    // found. The price is an exclusive lock on members (and the tables that reference it) for the
    // whole load: a bulk load is maintenance, not something to run under traffic.
    const deferred = options.keepIndexes ? null : await dropMemberIndexes(sql);
    await sql.query('ALTER TABLE members DISABLE TRIGGER USER');
    for (let from = 1; from <= members; from += chunk) {
      const to = Math.min(members, from + chunk - 1);
      await sql.query(
        `INSERT INTO members (id, organization_id, org_path, full_name, id_number_hash, id_number_last4, phone, card_number,
                              status, real_name_verified, new_employment_form, joined_at)
         SELECT overlay(overlay(md5($3 || ':' || g.i) placing '4' from 13) placing '8' from 17)::uuid,
                home.id, home.path,
                (${sqlArray(SURNAMES)})[1 + h.a % ${SURNAMES.length}] || (${sqlArray(GIVEN)})[1 + h.b % ${GIVEN.length}]
                  || CASE WHEN h.c % 10 < 7 THEN (${sqlArray(GIVEN)})[1 + (h.c / 10) % ${GIVEN.length}] ELSE '' END,
                sha256(convert_to('scale:' || $3 || ':' || g.i, 'UTF8')),
                lpad((h.a % 10000)::text, 4, '0'),
                '1' || (3 + h.b % 7)::text || lpad((h.d % 1000000000)::text, 9, '0'),
                'GD' || (2015 + h.c % 11)::text || lpad((${FIRST_CARD_SEQUENCE} + g.i)::text, 8, '0'),
                CASE WHEN h.d % 100 < 93 THEN 'ACTIVE' WHEN h.d % 100 < 97 THEN 'SUSPENDED' WHEN h.d % 100 < 99 THEN 'LAPSED' ELSE 'TRANSFERRED_OUT' END,
                h.b % 100 < 80,
                h.e % 1000 < home.nef_permille,
                timestamptz '2015-01-01 00:00:00+08' + (h.e % 4200) * interval '1 day' + (h.a % 36000) * interval '1 second'
           FROM generate_series($1::bigint, $2::bigint) AS g(i)
           CROSS JOIN LATERAL (SELECT hashint8extended(g.i, 1) & 9223372036854775807 AS a,
                                      hashint8extended(g.i, 2) & 9223372036854775807 AS b,
                                      hashint8extended(g.i, 3) & 9223372036854775807 AS c,
                                      hashint8extended(g.i, 4) & 9223372036854775807 AS d,
                                      hashint8extended(g.i, 5) & 9223372036854775807 AS e,
                                      hashint8extended(g.i, 6) & 9223372036854775807 AS slot) h
           JOIN scale_slots s ON s.slot = h.slot % ${slotCount}
           JOIN scale_homes home ON home.idx = s.idx`,
        [from, to, String(seed)],
      );
      log(`${to.toLocaleString('en')} / ${members.toLocaleString('en')} members (${seconds(phase)} s)`);
    }
    await sql.query('ALTER TABLE members ENABLE TRIGGER USER');
    const memberSeconds = seconds(phase);

    // Counters of the scale tree only (its root has no parent, so no other counter moves): members
    // grouped by their organization's path in one pass, then added up along each path.
    phase = Date.now();
    const rootPath = paths[0]!;
    await sql.query(
      `INSERT INTO organization_stats (organization_id, member_count, active_count, verified_count, new_employment_form_count)
       SELECT o.id, coalesce(t.n, 0), coalesce(t.active, 0), coalesce(t.verified, 0), coalesce(t.nef, 0)
         FROM organizations o
         LEFT JOIN (
           SELECT a.node_no, sum(p.n) AS n, sum(p.active) AS active, sum(p.verified) AS verified, sum(p.nef) AS nef
             FROM (SELECT org_path, count(*) AS n, count(*) FILTER (WHERE status = 'ACTIVE') AS active,
                          count(*) FILTER (WHERE real_name_verified) AS verified, count(*) FILTER (WHERE new_employment_form) AS nef
                     FROM members WHERE org_path >= $1 AND org_path < $2 GROUP BY org_path) p
            CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from p.org_path), '/')::bigint[]) AS a(node_no)
            GROUP BY a.node_no
         ) t ON t.node_no = o.node_no
        WHERE o.path >= $1 AND o.path < $2`,
      [rootPath, `${rootPath.slice(0, -1)}0`],
    );
    const counterSeconds = seconds(phase);
    log(`subtree counters of ${tree.length} organizations in ${counterSeconds} s`);

    phase = Date.now();
    if (deferred) await restoreMemberIndexes(sql, deferred, log);
    const indexSeconds = seconds(phase);
    await sql.query('COMMIT');

    // VACUUM sets the visibility map, so list and count queries can answer from the covering index
    // alone (index-only scans) from the first request on; ANALYZE gives the planner the new sizes.
    phase = Date.now();
    await sql.query('VACUUM (ANALYZE) members');
    await sql.query('ANALYZE organizations, organization_stats');
    const analyzeSeconds = seconds(phase);
    return {
      rootId: SCALE_ROOT_ID,
      organizations: tree.length,
      members,
      seconds: {
        organizations: organizationSeconds,
        members: memberSeconds,
        counters: counterSeconds,
        indexes: indexSeconds,
        analyze: analyzeSeconds,
        total: seconds(started),
      },
    };
  } catch (error) {
    await sql.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await sql.end();
  }
}

/** The database of a running `npm start` (it writes its URL to .data/embedded-postgres.json). */
function defaultDatabaseUrl(): string | undefined {
  const file = join(process.cwd(), '.data', 'embedded-postgres.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { databaseUrl?: string }).databaseUrl;
}

const USAGE = `Usage: npm run seed:scale -- --members N [--database-url URL] [--schema member] [--seed 1] [--replace]

Loads a province-shaped organization tree (${scaleTree().length} unions under "${SCALE_ROOT_NAME}",
id ${SCALE_ROOT_ID}) and N synthetic members into the member subgraph's schema.
The database is --database-url, else MEMBER_DATABASE_URL, else DATABASE_URL, else the embedded
PostgreSQL of a running "npm start".`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string' },
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      seed: { type: 'string' },
      replace: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.members) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const databaseUrl = values['database-url'] ?? process.env.MEMBER_DATABASE_URL ?? process.env.DATABASE_URL ?? defaultDatabaseUrl();
  if (!databaseUrl) {
    console.error('no database: pass --database-url, set DATABASE_URL, or start the system with "npm start" first');
    process.exit(2);
  }
  const result = await seedScale(databaseUrl, {
    members: Number(values.members.replace(/[_,]/g, '')),
    schema: values.schema ?? process.env.MEMBER_DB_SCHEMA,
    seed: values.seed ? Number(values.seed) : undefined,
    replace: values.replace,
    log: (line) => console.log(line),
  });
  console.log(
    `loaded ${result.members.toLocaleString('en')} members into ${result.organizations} organizations in ${result.seconds.total} s ` +
      `(members ${result.seconds.members} s, counters ${result.seconds.counters} s, analyze ${result.seconds.analyze} s); root organization ${result.rootId}`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`seed:scale failed: ${(error as Error).message}`);
    process.exit(1);
  });
}
