// Helpers shared by the end-to-end tests: reading mail from the test SMTP server, the app's SQLite database, and
// screenshots saved under end2end/screenshots/.
import { expect, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const screenshotDir = path.resolve(here, '..', 'screenshots');
export const databasePath = path.resolve(here, '..', '.run', 'data', 'portcullis.db');
export const PASSWORD = 'violet-tractor-mango-71';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

/** Waits for the newest message to `to` whose subject contains `subject`. */
export async function waitForMail(to: string, subject: string): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const res = await fetch(`http://127.0.0.1:2526/messages?to=${encodeURIComponent(to)}`);
        const list = (await res.json()) as Mail[];
        found = list.reverse().find((m) => m.subject.includes(subject));
        return found !== undefined;
      },
      { message: `mail to ${to} with subject containing "${subject}"`, timeout: 10_000 },
    )
    .toBe(true);
  return found!;
}

/** The first link to the app in a message, as a path with query. */
export function linkIn(mail: Mail): string {
  const match = mail.text.match(/http:\/\/127\.0\.0\.1:\d+(\/\S+)/);
  if (!match) throw new Error(`no link in mail: ${mail.text}`);
  return match[1];
}

/** Runs SQL against the app's SQLite database (used only to move a link's expiry into the past). */
export function sql(statement: string): string {
  return execFileSync('sqlite3', [databasePath, statement], { encoding: 'utf8' });
}

/** Saves a screenshot of the whole page, or of what the window shows when `fullPage` is false (very long pages). */
export async function snap(page: Page, name: string, fullPage = true) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage });
}

/** Waits until the WebAssembly app has hydrated the page, so clicks go through the client-side app. */
export async function hydrated(page: Page) {
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 15_000 });
}

/**
 * Collects what must never happen on a page: hydration mismatches, panics in the WebAssembly, failed requests
 * (console errors). Refused form submissions answer 4xx on purpose; Chromium logs those as failed resources.
 */
export function watchForProblems(page: Page, context: BrowserContext) {
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    p.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of 4')) {
        problems.push(`console error: ${msg.text()}`);
      }
    });
  };
  watch(page);
  context.on('page', watch);
  (page as Page & { problems?: string[] }).problems = problems;
}

/** Fails the test when `watchForProblems` saw anything. */
export function expectNoProblems(page: Page) {
  expect((page as Page & { problems?: string[] }).problems ?? []).toEqual([]);
}

/** Sets the TXT records of `name` on the test DNS server. */
export async function setTxtRecord(name: string, values: string[]) {
  const res = await fetch('http://127.0.0.1:5380/records', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, values }),
  });
  expect(res.ok).toBe(true);
}

/** Makes the test DNS server refuse every query (a broken resolver), or answer again. */
export async function refuseDnsQueries(refuse: boolean) {
  const res = await fetch('http://127.0.0.1:5380/refuse', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refuse }),
  });
  expect(res.ok).toBe(true);
}

/** The test identity provider (samlify), on another site than the app. */
export const IDP = 'http://localhost:7100';
const IDP_PASSWORD = 'correct-horse';

/** Signs in at the IdP's login form, where the browser is now: optionally with groups, or tampering. */
export async function signInAtIdp(page: Page, email: string, options: { tamper?: boolean; groups?: string } = {}) {
  await expect(page).toHaveURL(new RegExp(`^${IDP}/sso`));
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('Password').fill(IDP_PASSWORD);
  if (options.groups) await page.getByLabel('Groups (comma-separated)').fill(options.groups);
  if (options.tamper) await page.getByLabel('Tamper with the signed response (test)').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** "Log in with Enterprise SSO" with the identifier corp from our login page, then the IdP's form. */
export async function ssoLogin(page: Page, email: string, options: { tamper?: boolean; groups?: string } = {}) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('SSO identifier').fill('corp');
  await page.getByRole('button', { name: 'Continue with SSO' }).click();
  await signInAtIdp(page, email, options);
}
