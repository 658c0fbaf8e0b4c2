/**
 * Deterministic demo data for the member subgraph: a 粤工惠-style union tree
 * (广东省总工会 and its city, district, industry, regional and enterprise unions,
 * plus 聊城市总工会 as a second root) and a population of members.
 *
 * Everything is derived from a seeded PRNG so that seeds, fixtures and
 * snapshots are reproducible across machines and runs; the module never reads
 * the clock or Math.random while generating.
 */

import { isValidResidentId, residentIdCheckDigit } from '../modules/enrollment/resident-id';

export type OrganizationKind = 'FEDERATION' | 'INDUSTRY_FEDERATION' | 'REGIONAL' | 'ENTERPRISE';
export type MembershipStatus = 'ACTIVE' | 'SUSPENDED' | 'TRANSFERRED_OUT' | 'LAPSED';

export interface DemoOrganization {
  id: string;
  parentId: string | null;
  name: string;
  kind: OrganizationKind;
}

export interface DemoMember {
  id: string;
  organizationId: string;
  fullName: string;
  idNumber: string;
  phone: string;
  cardNumber: string;
  status: MembershipStatus;
  realNameVerified: boolean;
  newEmploymentForm: boolean;
  joinedAt: Date;
}

export interface DemoData {
  /** Parents always precede their children. */
  organizations: DemoOrganization[];
  members: DemoMember[];
  fixtures: {
    provinceId: string;
    cityUnionOrgId: string;
    districtUnionOrgId: string;
    siblingDistrictUnionOrgId: string;
    liaochengOrgId: string;
    /** ACTIVE, real-name-verified members inside 天河区总工会's subtree (same objects as in `members`). */
    districtMembers: DemoMember[];
    /** ACTIVE, real-name-verified members inside 越秀区总工会's subtree (same objects as in `members`). */
    siblingDistrictMembers: DemoMember[];
  };
}

export interface GenerateDemoDataOptions {
  memberCount?: number;
  seed?: number;
}

export const DEFAULT_MEMBER_COUNT = 3000;
export const DEFAULT_SEED = 0x5947_4855; // "YGHU": 粤工惠
export const DISTRICT_FIXTURE_COUNT = 16;
export const SIBLING_DISTRICT_FIXTURE_COUNT = 4;
/** Fixture members are carved out of `memberCount`, so it cannot be smaller than this. */
export const MIN_MEMBER_COUNT = DISTRICT_FIXTURE_COUNT + SIBLING_DISTRICT_FIXTURE_COUNT;

// ---------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------

/** splitmix32: spreads a small integer seed over all 32 bits so nearby seeds give unrelated streams. */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * sfc32 rather than mulberry32: mulberry32 has only 2^32 states, which makes
 * repeated UUIDs plausible at 100k members; sfc32 carries 128 bits of state.
 * Returns floats in [0, 1) with exactly 32 bits of resolution, which
 * deterministicUuid relies on.
 */
function sfc32(seed: number, stream: number): () => number {
  const init = splitmix32((seed ^ Math.imul(stream, 0x27d4eb2d)) >>> 0);
  let a = init();
  let b = init();
  let c = init();
  let d = init() | 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 are still correlated with the seed words.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Separate streams keep organization ids stable when the member algorithm changes, and vice versa. */
const ORG_STREAM = 1;
const MEMBER_STREAM = 2;

const HEX = '0123456789abcdef';

/** RFC 4122 version-4-shaped UUID whose 122 random bits come from `random` (four 32-bit draws). */
export function deterministicUuid(random: () => number): string {
  const bytes = new Array<number>(16);
  for (let w = 0; w < 4; w++) {
    const word = Math.floor(random() * 4294967296) >>> 0;
    bytes[w * 4] = word >>> 24;
    bytes[w * 4 + 1] = (word >>> 16) & 0xff;
    bytes[w * 4 + 2] = (word >>> 8) & 0xff;
    bytes[w * 4 + 3] = word & 0xff;
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[bytes[i]! >>> 4]! + HEX[bytes[i]! & 0x0f]!;
  }
  return out;
}

function randInt(random: () => number, minInclusive: number, maxInclusive: number): number {
  return minInclusive + Math.floor(random() * (maxInclusive - minInclusive + 1));
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Prefix sums + binary search so weighted picks stay O(log n) at 100k members. */
class WeightedPicker<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(
    private readonly items: readonly T[],
    weight: (item: T) => number,
  ) {
    let sum = 0;
    for (const item of items) {
      sum += weight(item);
      this.cumulative.push(sum);
    }
    if (!(sum > 0)) throw new Error('WeightedPicker needs a positive total weight');
    this.total = sum;
  }

  pick(random: () => number): T {
    const target = random() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

// ---------------------------------------------------------------------------
// Resident identity numbers (GB 11643-1999): validated where members enroll
// ---------------------------------------------------------------------------

export { isValidResidentId, residentIdCheckDigit };

// ---------------------------------------------------------------------------
// Organization tree
// ---------------------------------------------------------------------------

type CityKey = 'GZ' | 'SZ' | 'FS' | 'DG' | 'ZH' | 'LC';

/** County-level GB/T 2260 codes per city, used as the region part of generated resident ids. */
const REGION_CODES: Record<CityKey, readonly string[]> = {
  GZ: ['440103', '440104', '440105', '440106', '440111', '440112', '440113', '440114', '440115', '440117', '440118'],
  SZ: ['440303', '440304', '440305', '440306', '440307', '440308', '440309', '440310', '440311'],
  FS: ['440604', '440605', '440606', '440607', '440608'],
  DG: ['441900'],
  ZH: ['440402', '440403', '440404'],
  LC: ['371502', '371503', '371521', '371522', '371524', '371525', '371526', '371581'],
};
const GUANGDONG_CITIES: readonly CityKey[] = ['GZ', 'SZ', 'FS', 'DG', 'ZH'];

interface OrgSpec {
  name: string;
  kind: OrganizationKind;
  city?: CityKey;
  /** Relative share of members placed directly in this union; defaults by kind. */
  weight?: number;
  /** Probability that a member here is a 新就业形态劳动者 (courier, ride-hailing or delivery worker, ...). */
  nef?: number;
  children?: OrgSpec[];
}

const fed = (name: string, children: OrgSpec[] = [], extra: Partial<OrgSpec> = {}): OrgSpec => ({ name, kind: 'FEDERATION', children, ...extra });
const ind = (name: string, nef: number, children: OrgSpec[] = [], extra: Partial<OrgSpec> = {}): OrgSpec => ({
  name,
  kind: 'INDUSTRY_FEDERATION',
  nef,
  children,
  ...extra,
});
const reg = (name: string, children: OrgSpec[] = [], extra: Partial<OrgSpec> = {}): OrgSpec => ({ name, kind: 'REGIONAL', children, ...extra });
const ent = (name: string, extra: Partial<OrgSpec> = {}): OrgSpec => ({ name, kind: 'ENTERPRISE', ...extra });

// Platform-economy unions: most of their members are new-employment-form workers.
const PLATFORM_NEF = 0.9;
const PLATFORM_COMPANY_NEF = 0.6;
const DEFAULT_NEF = 0.025;

const NAME_PROVINCE = '广东省总工会';
const NAME_CITY = '广州市总工会';
const NAME_DISTRICT = '天河区总工会';
const NAME_SIBLING_DISTRICT = '越秀区总工会';
const NAME_LIAOCHENG = '聊城市总工会';

const ORG_TREE: readonly OrgSpec[] = [
  fed(
    NAME_PROVINCE,
    [
      fed(
        NAME_CITY,
        [
          fed(NAME_DISTRICT, [
            reg('天河路商圈工会联合会', [ent('广州天穗百货有限公司工会'), ent('广州正华餐饮管理有限公司工会')]),
            reg('珠江新城楼宇工会联合会', [ent('广州珠江新城物业管理有限公司工会'), ent('广州汇金财富投资咨询有限公司工会')]),
            reg('天河软件园工会联合会', [ent('广州云图智联科技有限公司工会'), ent('广州数海信息技术有限公司工会')]),
            ent('广州云途物流有限公司工会', { nef: 0.3 }),
            ent('广州羊城通达网络科技有限公司工会'),
          ]),
          fed(NAME_SIBLING_DISTRICT, [
            reg('北京路商圈工会联合会', [ent('广州惠福餐饮管理有限公司工会')]),
            reg('环市东楼宇工会联合会', [ent('广州东山印务有限公司工会')]),
            ent('广州越秀康健医药连锁有限公司工会'),
          ]),
          fed('海珠区总工会', [
            reg('琶洲互联网创新集聚区工会联合会', [ent('广州琶洲数智科技有限公司工会'), ent('广州智汇会展服务有限公司工会')]),
            reg('中大纺织商圈工会联合会', [ent('广州海珠锦绣纺织服装有限公司工会')]),
            ent('广州南洲食品有限公司工会'),
          ]),
          fed('白云区总工会', [
            reg('白云湖数字科技城工会联合会', [ent('广州白云美妆制造有限公司工会')]),
            reg('空港经济区园区工会联合会', [ent('广州空港航服物流有限公司工会', { nef: 0.25 })]),
            ent('广州嘉禾皮具有限公司工会'),
            ent('广州云鹏汽车零部件有限公司工会'),
          ]),
          ind('广州市快递行业工会联合会', PLATFORM_NEF, [
            ent('广州迅达快递服务有限公司工会', { nef: PLATFORM_COMPANY_NEF }),
            ent('广州顺捷速运有限公司工会', { nef: PLATFORM_COMPANY_NEF }),
          ]),
          ind('广州市网约车行业工会联合会', PLATFORM_NEF, [ent('广州如约出行科技有限公司工会', { nef: PLATFORM_COMPANY_NEF })]),
          ind('广州市外卖配送行业工会联合会', PLATFORM_NEF, [ent('广州食速达配送服务有限公司工会', { nef: PLATFORM_COMPANY_NEF })]),
          ent('广州羊城轨道交通运营有限公司工会', { weight: 8 }),
        ],
        { city: 'GZ' },
      ),
      fed(
        '深圳市总工会',
        [
          fed('南山区总工会', [
            reg('深圳湾科技生态园工会联合会', [ent('深圳星河微电子有限公司工会'), ent('深圳蓝鲸互娱科技有限公司工会')]),
            ent('深圳南山智造机器人有限公司工会'),
          ]),
          fed('福田区总工会', [
            reg('华强北商圈工会联合会', [ent('深圳华强北电子商城管理有限公司工会')]),
            reg('车公庙楼宇工会联合会', [ent('深圳前湾金融服务有限公司工会')]),
          ]),
          fed('宝安区总工会', [reg('福永工业园区工会联合会', [ent('深圳鹏程精密电子有限公司工会')]), ent('深圳宝安国际航运服务有限公司工会')]),
          fed('龙岗区总工会', [ent('深圳坂田智造电子有限公司工会'), ent('深圳龙城新能源科技有限公司工会')]),
          ind('深圳市快递行业工会联合会', PLATFORM_NEF, [ent('深圳速邦快递有限公司工会', { nef: PLATFORM_COMPANY_NEF })]),
          ind('深圳市外卖配送行业工会联合会', PLATFORM_NEF),
        ],
        { city: 'SZ' },
      ),
      fed(
        '佛山市总工会',
        [
          fed('禅城区总工会', [reg('祖庙商圈工会联合会', [ent('佛山祖庙老字号食品有限公司工会')]), ent('佛山陶都建材有限公司工会')]),
          fed('南海区总工会', [reg('千灯湖创投小镇工会联合会', [ent('佛山千灯湖数字科技有限公司工会')]), ent('佛山南海华铝型材有限公司工会')]),
          fed('顺德区总工会', [
            reg('北滘家电产业园工会联合会', [ent('佛山顺德美厨电器有限公司工会'), ent('佛山北滘智能家居有限公司工会')]),
            ent('佛山顺德大良餐饮服务有限公司工会'),
          ]),
          ind('佛山市货运行业工会联合会', 0.8),
        ],
        { city: 'FS' },
      ),
      fed(
        '东莞市总工会',
        [
          fed('长安镇总工会', [ent('东莞长安五金模具有限公司工会'), ent('东莞长盛电子科技有限公司工会')]),
          fed('虎门镇总工会', [reg('虎门服装商圈工会联合会', [ent('东莞虎门富丽服饰有限公司工会')])]),
          fed('松山湖高新区总工会', [ent('东莞湖畔智能终端有限公司工会'), ent('东莞松湖生物医药有限公司工会')]),
          ind('东莞市快递行业工会联合会', PLATFORM_NEF),
        ],
        { city: 'DG' },
      ),
      fed(
        '珠海市总工会',
        [
          fed('香洲区总工会', [reg('拱北口岸商圈工会联合会', [ent('珠海拱北免税商贸有限公司工会')]), ent('珠海海湾空调设备有限公司工会')]),
          fed('金湾区总工会', [reg('珠海航空产业园工会联合会', [ent('珠海金湾航材有限公司工会')])]),
          ind('珠海市网约车行业工会联合会', PLATFORM_NEF),
        ],
        { city: 'ZH' },
      ),
    ],
    { city: 'GZ' },
  ),
  fed(
    NAME_LIAOCHENG,
    [ent('聊城鲁信纺织有限公司工会'), ent('聊城东昌轴承制造有限公司工会'), ent('聊城运河钢管有限公司工会'), ent('聊城水城物流有限公司工会', { nef: 0.25 })],
    { city: 'LC' },
  ),
];

const DEFAULT_WEIGHT: Record<OrganizationKind, number> = {
  // Federations mostly hold their own staff; the bulk of members sit in grassroots unions.
  FEDERATION: 0.4,
  INDUSTRY_FEDERATION: 4,
  REGIONAL: 3,
  ENTERPRISE: 4,
};

interface BuiltOrg {
  org: DemoOrganization;
  city: CityKey;
  weight: number;
  nef: number;
}

function buildOrganizations(random: () => number): BuiltOrg[] {
  const out: BuiltOrg[] = [];
  // Pre-order traversal is what guarantees parents precede children.
  const visit = (spec: OrgSpec, parentId: string | null, inheritedCity: CityKey): void => {
    const city = spec.city ?? inheritedCity;
    const org: DemoOrganization = { id: deterministicUuid(random), parentId, name: spec.name, kind: spec.kind };
    out.push({ org, city, weight: spec.weight ?? DEFAULT_WEIGHT[spec.kind], nef: spec.nef ?? DEFAULT_NEF });
    for (const child of spec.children ?? []) visit(child, org.id, city);
  };
  for (const root of ORG_TREE) visit(root, null, root.city ?? 'GZ');
  return out;
}

function subtreeOf(orgs: readonly BuiltOrg[], rootId: string): BuiltOrg[] {
  const inTree = new Set([rootId]);
  const result: BuiltOrg[] = [];
  // Parents precede children, so one forward pass collects the whole subtree.
  for (const o of orgs) {
    if (o.org.id === rootId || (o.org.parentId !== null && inTree.has(o.org.parentId))) {
      inTree.add(o.org.id);
      result.push(o);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------

// Ordered roughly by national frequency; the Zipf-like weight below follows that order.
const SINGLE_SURNAMES = [
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
  '石',
  '金',
  '韦',
  '贾',
  '夏',
  '付',
  '方',
  '邹',
  '熊',
  '白',
  '孟',
  '秦',
  '邱',
  '侯',
  '江',
  '尹',
  '薛',
  '闫',
  '段',
  '雷',
  '龙',
  '黎',
  '史',
  '陶',
  '贺',
  '毛',
  '郝',
  '顾',
  '龚',
  '邵',
  '万',
  '覃',
  '武',
  '钱',
  '戴',
  '严',
  '莫',
  '孔',
  '向',
  '常',
] as const;
// 司徒 and 欧阳 are genuinely common in Guangdong; the rest keep 4-character names possible.
const COMPOUND_SURNAMES = ['欧阳', '司徒', '上官', '诸葛', '皇甫', '司马'] as const;

const SURNAME_PICKER = new WeightedPicker<string>([...SINGLE_SURNAMES, ...COMPOUND_SURNAMES], (s) => {
  const rank = SINGLE_SURNAMES.indexOf(s as (typeof SINGLE_SURNAMES)[number]);
  if (rank >= 0) return 1 / (rank + 4);
  return s === '欧阳' || s === '司徒' ? 0.012 : 0.003;
});

const MALE_CHARS = [
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
  '凯',
  '健',
  '俊',
  '帆',
  '旭',
  '宁',
  '龙',
  '林',
  '阳',
  '建',
  '国',
  '志',
  '文',
  '海',
  '峰',
  '亮',
  '成',
  '东',
  '晨',
  '博',
  '毅',
  '鸿',
  '锦',
  '荣',
  '炜',
  '森',
  '昊',
  '哲',
  '睿',
  '轩',
] as const;
const FEMALE_CHARS = [
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
  '欣',
  '怡',
  '琪',
  '雯',
  '晶',
  '璐',
  '萍',
  '红',
  '梅',
  '兰',
  '月',
  '妍',
  '蕾',
  '薇',
  '诗',
  '思',
  '瑶',
  '悦',
  '岚',
  '蓉',
] as const;
// Gender-neutral first characters, so a leading draw never contradicts the sex encoded in the id.
const LEADING_CHARS = ['晓', '子', '雨', '嘉', '春', '家', '心', '一', '安', '可', '清', '文', '梓', '思', '艺', '新', '云', '小', '天', '星'] as const;

function givenName(random: () => number, male: boolean): string {
  const pool = male ? MALE_CHARS : FEMALE_CHARS;
  if (random() < 0.15) return pick(random, pool);
  const first = random() < 0.35 ? pick(random, LEADING_CHARS) : pick(random, pool);
  let second = pick(random, pool);
  // Doubled characters (婷婷, 磊磊) exist but would be over-represented by independent draws.
  if (second === first && random() < 0.8) second = pick(random, pool);
  return first + second;
}

const PHONE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '134',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '153',
  '155',
  '156',
  '157',
  '158',
  '159',
  '170',
  '171',
  '173',
  '175',
  '176',
  '177',
  '178',
  '180',
  '181',
  '182',
  '183',
  '184',
  '185',
  '186',
  '187',
  '188',
  '189',
  '191',
  '193',
  '195',
  '196',
  '197',
  '198',
  '199',
] as const;

const DAY_MS = 86_400_000;
const BIRTH_FIRST_DAY = Date.UTC(1965, 0, 1) / DAY_MS;
const BIRTH_LAST_DAY = Date.UTC(2003, 11, 31) / DAY_MS;
const JOIN_FIRST_DAY = Date.UTC(2015, 0, 1) / DAY_MS;
const JOIN_LAST_DAY = Date.UTC(2026, 5, 30) / DAY_MS;
const MIN_JOIN_AGE_YEARS = 18;

function yyyymmdd(day: number): string {
  const d = new Date(day * DAY_MS);
  return String(d.getUTCFullYear()) + String(d.getUTCMonth() + 1).padStart(2, '0') + String(d.getUTCDate()).padStart(2, '0');
}

function statusFor(random: () => number): MembershipStatus {
  const r = random();
  if (r < 0.04) return 'SUSPENDED';
  if (r < 0.06) return 'LAPSED';
  if (r < 0.07) return 'TRANSFERRED_OUT';
  return 'ACTIVE';
}

const REAL_NAME_VERIFIED_RATE = 0.8;
const HOME_CITY_ID_RATE = 0.75;

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

export function generateDemoData(options: GenerateDemoDataOptions = {}): DemoData {
  const memberCount = options.memberCount ?? DEFAULT_MEMBER_COUNT;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(memberCount) || memberCount < MIN_MEMBER_COUNT) {
    throw new RangeError(`memberCount must be an integer >= ${MIN_MEMBER_COUNT} (fixture members are part of it), got ${memberCount}`);
  }
  if (memberCount > 99_999_999) {
    throw new RangeError('memberCount must fit the 8-digit card sequence (<= 99,999,999)');
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);

  const built = buildOrganizations(sfc32(seed, ORG_STREAM));
  const byName = new Map(built.map((b) => [b.org.name, b]));
  const idOf = (name: string): string => {
    const b = byName.get(name);
    if (!b) throw new Error(`demo organization ${name} missing from ORG_TREE`);
    return b.org.id;
  };
  const provinceId = idOf(NAME_PROVINCE);
  const cityUnionOrgId = idOf(NAME_CITY);
  const districtUnionOrgId = idOf(NAME_DISTRICT);
  const siblingDistrictUnionOrgId = idOf(NAME_SIBLING_DISTRICT);
  const liaochengOrgId = idOf(NAME_LIAOCHENG);

  const weightOf = (b: BuiltOrg): number => b.weight;
  const anyOrg = new WeightedPicker(built, weightOf);
  const districtOrgs = new WeightedPicker(subtreeOf(built, districtUnionOrgId), weightOf);
  const siblingOrgs = new WeightedPicker(subtreeOf(built, siblingDistrictUnionOrgId), weightOf);

  const random = sfc32(seed, MEMBER_STREAM);
  // Sets keep uniqueness checks O(1) per member; collisions are redrawn, not patched.
  const usedIdNumbers = new Set<string>();
  const usedPhones = new Set<string>();

  const makeMember = (index: number, home: BuiltOrg, forceActiveVerified: boolean): DemoMember => {
    const male = random() < 0.55;
    const fullName = SURNAME_PICKER.pick(random) + givenName(random, male);

    // Sum of two uniforms: a working population peaks in the middle of the range, not at the edges.
    const birthDay = Math.floor(BIRTH_FIRST_DAY + ((random() + random()) / 2) * (BIRTH_LAST_DAY - BIRTH_FIRST_DAY + 1));
    const birth = yyyymmdd(birthDay);

    let idNumber: string;
    do {
      const idCity = home.city === 'LC' || random() < HOME_CITY_ID_RATE ? home.city : pick(random, GUANGDONG_CITIES);
      // The 17th digit encodes sex (odd = male), matching the gendered given name.
      const seq = randInt(random, 0, 49) * 2 + (male ? 1 : 0);
      const first17 = pick(random, REGION_CODES[idCity]) + birth + String(randInt(random, 0, 9)) + String(seq).padStart(2, '0');
      idNumber = first17 + residentIdCheckDigit(first17);
    } while (usedIdNumbers.has(idNumber));
    usedIdNumbers.add(idNumber);

    let phone: string;
    do {
      phone = pick(random, PHONE_PREFIXES) + String(randInt(random, 0, 99_999_999)).padStart(8, '0');
    } while (usedPhones.has(phone));
    usedPhones.add(phone);

    const eighteenth = new Date(birthDay * DAY_MS);
    eighteenth.setUTCFullYear(eighteenth.getUTCFullYear() + MIN_JOIN_AGE_YEARS);
    const earliestJoin = Math.max(JOIN_FIRST_DAY, Math.ceil(eighteenth.getTime() / DAY_MS));
    const joinDay = randInt(random, earliestJoin, JOIN_LAST_DAY);
    const joinedAt = new Date(joinDay * DAY_MS);

    const status = statusFor(random);
    const realNameVerified = random() < REAL_NAME_VERIFIED_RATE;
    const newEmploymentForm = random() < home.nef;

    return {
      id: deterministicUuid(random),
      organizationId: home.org.id,
      fullName,
      idNumber,
      phone,
      // The sequence is the global index, so card numbers are unique whatever the join year.
      cardNumber: 'GD' + String(joinedAt.getUTCFullYear()) + String(index + 1).padStart(8, '0'),
      status: forceActiveVerified ? 'ACTIVE' : status,
      realNameVerified: forceActiveVerified || realNameVerified,
      newEmploymentForm,
      joinedAt,
    };
  };

  // Fixtures come first so that they are the same members for any memberCount with a given seed.
  const members: DemoMember[] = [];
  const districtMembers: DemoMember[] = [];
  const siblingDistrictMembers: DemoMember[] = [];
  for (let i = 0; i < DISTRICT_FIXTURE_COUNT; i++) {
    const m = makeMember(members.length, districtOrgs.pick(random), true);
    members.push(m);
    districtMembers.push(m);
  }
  for (let i = 0; i < SIBLING_DISTRICT_FIXTURE_COUNT; i++) {
    const m = makeMember(members.length, siblingOrgs.pick(random), true);
    members.push(m);
    siblingDistrictMembers.push(m);
  }
  while (members.length < memberCount) {
    members.push(makeMember(members.length, anyOrg.pick(random), false));
  }

  return {
    organizations: built.map((b) => b.org),
    members,
    fixtures: {
      provinceId,
      cityUnionOrgId,
      districtUnionOrgId,
      siblingDistrictUnionOrgId,
      liaochengOrgId,
      districtMembers,
      siblingDistrictMembers,
    },
  };
}
