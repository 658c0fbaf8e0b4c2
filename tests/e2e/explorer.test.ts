import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSystem, type RunningSystem } from '../testkit/system';

/**
 * The explorer in a real browser (Debian's chromium, driven by playwright-core): the demo hospital
 * signs in with its client id and secret, runs `viewer` and a masked member read, sees the code and
 * request id of a refused call, and nothing of the session is left in the browser's storage.
 * The screenshot is kept at .data/explorer.png.
 */

const root = join(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = join(root, '.data', 'explorer.png');

/** The page's globals, cast inside page.evaluate: the tests compile without the DOM library, and the callbacks run in the browser. */
interface PageGlobals {
  document: { querySelector(selector: string): unknown; querySelectorAll(selector: string): { length: number }; cookie: string };
  localStorage: { length: number };
  sessionStorage: { length: number };
}

let system: RunningSystem;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  system = await startSystem();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

type CodeMirrorHost = { CodeMirror: { getValue(): string; setValue(v: string): void } };

/**
 * Replaces the text of the active tab's operation editor (CodeMirror 5 in GraphiQL 3), runs it with
 * the play button, and answers the text the result pane shows once it shows this call's answer.
 */
async function run(query: string): Promise<string> {
  // A tab just added fills the editor on its own schedule: set the text until it stays.
  for (let attempt = 0; ; attempt++) {
    await page.evaluate((text) => {
      const editor = (globalThis as unknown as PageGlobals).document.querySelector('.graphiql-query-editor .CodeMirror') as CodeMirrorHost;
      if (editor.CodeMirror.getValue() !== text) editor.CodeMirror.setValue(text);
    }, query);
    await page.waitForTimeout(300);
    const stays = await page.evaluate(
      (text) =>
        ((globalThis as unknown as PageGlobals).document.querySelector('.graphiql-query-editor .CodeMirror') as CodeMirrorHost).CodeMirror.getValue() === text,
      query,
    );
    if (stays) break;
    if (attempt === 10) throw new Error('the operation editor does not keep the text');
  }
  const responded = page.waitForResponse((response) => response.url().endsWith('/graphql') && response.request().method() === 'POST');
  await page.click('.graphiql-execute-button');
  const response = await responded;
  const shown = JSON.stringify(await response.json(), null, 2);
  // The result pane is a CodeMirror too: wait until it shows this answer, pretty-printed.
  await page.waitForFunction(
    (expected) =>
      ((globalThis as unknown as PageGlobals).document.querySelector('.graphiql-response .CodeMirror') as CodeMirrorHost | null)?.CodeMirror.getValue() ===
      expected,
    shown,
  );
  return shown;
}

describe('GET /explorer in a real browser', () => {
  it('serves the page with a Content-Security-Policy and its assets from this gateway', async () => {
    const response = await page.goto(`${system.baseUrl}/explorer`);
    expect(response!.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("connect-src 'self'");
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['cache-control']).toBe('no-store');
    await expect(page.title()).resolves.toBe('Union benefits API explorer');
    const graphiql = await fetch(`${system.baseUrl}/explorer/assets/graphiql.min.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(graphiql.status).toBe(200);
    expect(graphiql.headers.get('content-encoding')).toBe('gzip');
    expect((await fetch(`${system.baseUrl}/explorer/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it('signs in as the demo hospital and opens with viewer and the hospital operations', async () => {
    const hospital = system.credentials.partners.hospital;
    await page.fill('#client-id', hospital.clientId);
    await page.fill('#client-secret', hospital.clientSecret);
    await page.click('#get-token');
    await page.waitForSelector('.graphiql-container');
    await expect(page.textContent('#who')).resolves.toContain('HOSPITAL');
    const tabs = await page.locator('.graphiql-tab').allTextContents();
    expect(tabs.join(' ')).toContain('Viewer');
    expect(tabs.join(' ')).toContain('VerifyMemberCard'); // examples/operations/hospital.graphql

    const viewer = JSON.parse(await run('query Viewer { viewer { kind id name scopes } }'));
    expect(viewer.data.viewer).toMatchObject({ kind: 'HOSPITAL', id: hospital.id, scopes: expect.arrayContaining(['member:verify']) });
    await expect(page.isHidden('#failure')).resolves.toBe(true);
  });

  it('shows the contract code and the request id of a refused call', async () => {
    const responded = page.waitForResponse((response) => response.url().endsWith('/graphql'));
    const refusedText = run('query Refused { organization(id: "00000000-0000-4000-8000-000000000000") { name } }');
    const response = await responded;
    const refused = JSON.parse(await refusedText);
    expect(response.status()).toBe(403);
    expect(refused.errors[0].extensions.code).toBe('FORBIDDEN');
    await page.waitForSelector('#failure:not([hidden])');
    await expect(page.textContent('#failure-code')).resolves.toBe('FORBIDDEN');
    await expect(page.textContent('#failure-status')).resolves.toBe('403');
    const shown = await page.textContent('#failure-request-id');
    expect(shown).toMatch(/^[0-9a-f-]{36}$/);
    expect(shown).toBe(response.headers()['x-request-id']);
  });

  it('reads a member masked, as the hospital may, and keeps nothing in the browser storage', async () => {
    const member = system.credentials.members[0];
    const before = await page.locator('.graphiql-tab').count();
    await page.click('.graphiql-tab-add');
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelectorAll('.graphiql-tab').length === n + 1, before);
    const text = await run(
      [
        '# A hospital reads a member through a verification: masked, as for every partner',
        'mutation MaskedMember {',
        `  verifyMemberByCardNumber(cardNumber: "${member.cardNumber}", fullName: "${member.fullName}", purpose: HOSPITAL_DISCOUNT) {`,
        '    valid',
        '    member { id displayName cardNumber status }',
        '  }',
        '}',
      ].join('\n'),
    );
    const answer = JSON.parse(text).data.verifyMemberByCardNumber;
    expect(answer.valid).toBe(true);
    expect(answer.member.id).toBe(member.id);
    expect(answer.member.displayName).toContain('*');
    expect(answer.member.cardNumber).toMatch(/^[A-Z]{2}\*+\d{4}$/);
    expect(text).not.toContain(`"${member.fullName}"`);
    expect(text).not.toContain(`"${member.cardNumber}"`);
    await expect(page.isHidden('#failure')).resolves.toBe(true);

    mkdirSync(join(root, '.data'), { recursive: true });
    await page.waitForTimeout(2500); // GraphiQL animates its tab bar when a tab is added or renamed
    await page.screenshot({ path: SCREENSHOT });

    const stored = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return { local: g.localStorage.length, session: g.sessionStorage.length, cookies: g.document.cookie };
    });
    expect(stored).toEqual({ local: 0, session: 0, cookies: '' });
    expect(consoleErrors.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
  });

  it('serves the error catalogue without a token', async () => {
    const response = await fetch(`${system.baseUrl}/errors`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { codes: Array<{ code: string; httpStatus: number; retryable: boolean; action: string }> };
    expect(body.codes.find((entry) => entry.code === 'RATE_LIMITED')).toMatchObject({ httpStatus: 429, retryable: true });
    expect(body.codes.every((entry) => entry.action.length > 0)).toBe(true);
  });
});
