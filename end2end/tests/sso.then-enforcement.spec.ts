// SSO enforcement, role mappings and the audit log in a real browser. Named to run after sso.spec.ts, whose Corp Inc,
// identity provider (samlify) and people it uses: the owner creates a role mapping (with its preview) and a
// break-glass key; an admin signs in by SSO and enforces; a password login is refused naming the SSO login URL; a
// member signs in by SSO and gets the mapped role from their IdP groups; the break-glass key switches enforcement off
// over HTTP; the owner reads it all in the audit log, filters it and exports it.
import { test, expect, type Page } from '@playwright/test';
import { PASSWORD, hydrated, snap, waitForMail, expectNoProblems, watchForProblems, ssoLogin } from './support';

test.describe.configure({ mode: 'serial' });

const owner = { name: 'Olivia Owner', email: 'olivia@corp.test' };
const admin = { name: 'Mia Member', email: 'mia@corp.test' };
let organizationUrl = '';
let breakGlassKey = '';

test.beforeEach(async ({ page, context }) => watchForProblems(page, context));
test.afterEach(async ({ page }) => expectNoProblems(page));

async function passwordLogin(page: Page, email: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('the owner maps IdP groups to roles and creates a break-glass key', async ({ page }) => {
  await passwordLogin(page, owner.email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('link', { name: 'Corp Inc' }).click();
  await expect(page).toHaveURL(/\/organizations\/\d+$/);
  organizationUrl = new URL(page.url()).pathname;
  await hydrated(page);

  // Mia becomes an admin: she will switch enforcement on.
  const row = page.locator(`tr[data-email="${admin.email}"]`);
  await row.getByRole('combobox').selectOption('admin');
  await row.getByRole('button', { name: 'Change' }).click();
  await expect(row.getByRole('combobox')).toHaveValue('admin');

  await page.goto(`${organizationUrl}/role-mappings`);
  await hydrated(page);
  await page.getByLabel('Name').fill('Corp engineers');
  await page.getByLabel('Rule').selectOption('any');
  await page.getByLabel('Group patterns').fill('eng-*\nplatform');
  await page.getByLabel('Organization role').selectOption('admin');
  // Before saving: what would someone in these groups get?
  const form = page.locator('section', { has: page.getByRole('heading', { name: 'New role mapping' }) });
  await page.getByLabel('Groups to try (optional)').fill('eng-platform\nstaff');
  await form.getByRole('button', { name: 'Preview' }).click();
  await expect(form.locator('.preview-result')).toHaveText('Matches Corp engineers: role admin.');
  await expect(page.getByText('No role mappings yet')).toBeVisible();
  await snap(page, '45-role-mappings');
  await page.getByRole('button', { name: 'Create mapping' }).click();
  await expect(page.locator('table')).toContainText('Corp engineers');
  await expect(page.locator('table')).toContainText('Any is true: eng-*, platform');
  // The saved mappings, tried against other groups.
  const saved = page.locator('section', { has: page.getByRole('heading', { name: 'Preview', exact: true }) });
  await page.getByLabel('Groups', { exact: true }).fill('sales');
  await saved.getByRole('button', { name: 'Preview' }).click();
  await expect(saved.locator('.preview-result')).toHaveText('No mapping matches [sales]: role member, no mapped teams.');

  await page.goto(`${organizationUrl}/security`);
  await hydrated(page);
  await expect(page.getByText('Before you can switch this on:')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Only allow login through my identity provider' })).toBeDisabled();
  await page.getByRole('button', { name: 'Create break-glass key' }).click();
  breakGlassKey = await page.getByRole('textbox', { name: 'API key' }).inputValue();
  expect(breakGlassKey).toMatch(/^pc_/);
  await expect(page.getByText('1 active organization key has the owner role.')).toBeVisible();
});

test('an admin who just signed in by SSO enforces it; password logins are refused', async ({ page, browser }) => {
  await ssoLogin(page, admin.email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  await page.goto(`${organizationUrl}/security`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Only allow login through my identity provider' }).click();
  await expect(page.getByRole('status')).toContainText('On since');
  await snap(page, '46-sso-enforcement');
  await waitForMail(owner.email, 'Corp Inc now allows only single sign-on');

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await passwordLogin(otherPage, owner.email);
  await expect(otherPage.getByRole('alert')).toContainText('Corp Inc allows only single sign-on');
  await expect(otherPage.getByRole('alert')).toContainText('/saml/corp');
  await other.close();

  // An admin (not an owner) sees the provider and its diagnostics, but changes nothing that decides who gets in.
  await page.goto('/identity-providers/corp');
  await hydrated(page);
  await expect(page.locator('section[aria-labelledby="settings-heading"] .notice')).toContainText(
    'Only an owner of every organization this identity provider serves');
  await expect(page.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  await page.locator('#settings-heading').evaluate((heading) => heading.scrollIntoView());
  await snap(page, '48-idp-settings-read-only', false);
});

test('a member signs in by SSO and gets the role mapped from their groups', async ({ page }) => {
  await ssoLogin(page, 'newbie@corp.test', { groups: 'eng-platform, staff' });
  await expect(page).toHaveURL(/\/dashboard$/);
  const members = await page.request.get(`/api/v1${organizationUrl}/members?per_page=100`, {
    headers: { authorization: `Bearer ${breakGlassKey}` },
  });
  expect(members.status()).toBe(200);
  const list = (await members.json()).data as { email: string; role: string }[];
  expect(list.find((m) => m.email === 'newbie@corp.test')?.role).toBe('admin');
});

test('the break-glass key switches enforcement off over HTTP; the owner reads the audit log', async ({ page }) => {
  const response = await page.request.put(`/api/v1${organizationUrl}`, {
    headers: { authorization: `Bearer ${breakGlassKey}` },
    data: { enforce_authentication_method: null },
  });
  expect(response.status()).toBe(200);
  expect((await response.json()).enforce_authentication_method).toBeNull();
  await waitForMail(owner.email, 'Corp Inc allows password logins again');

  await passwordLogin(page, owner.email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto(`${organizationUrl}/audit`);
  await hydrated(page);
  const log = page.locator('.audit-table');
  await expect(log).toContainText('sso.enforcement_enabled');
  await expect(log).toContainText('sso.enforcement_disabled_by_break_glass');
  await expect(log).toContainText('role_mapping.applied');
  await expect(log).toContainText('API key “Break-glass”');
  await snap(page, '47-audit-log', false);
  await page.getByLabel('Kind').selectOption('sso');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/category=sso/);
  await expect(log).not.toContainText('role_mapping.applied');
  const csv = await page.request.get(`${organizationUrl}/audit-log.csv?category=sso`);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain('"sso.enforcement_disabled_by_break_glass"');
});
