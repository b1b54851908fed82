// Enterprise SSO in a real browser against a real, independent SAML identity provider (samlify, on localhost while
// the app is on 127.0.0.1, so the IdP's POST to our ACS is cross-site): an owner uploads the IdP's metadata (and
// sees the specific error for a broken file), gives the IdP our SP metadata URL, pre-provisions a member who then
// logs in with "Log in with Enterprise SSO"; a tampered response shows a clear error page and the owner sees why.
import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PASSWORD, hydrated, linkIn, snap, waitForMail, expectNoProblems, watchForProblems } from './support';

test.describe.configure({ mode: 'serial' });

const IDP = 'http://localhost:7100';
const IDP_PASSWORD = 'correct-horse';
const owner = { name: 'Olivia Owner', email: 'olivia@corp.test' };
const member = { name: 'Mia Member', email: 'mia@corp.test' };

test.beforeEach(async ({ page, context }) => watchForProblems(page, context));
test.afterEach(async ({ page }) => expectNoProblems(page));

function tempFile(name: string, content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pc-e2e-')), name);
  fs.writeFileSync(file, content);
  return file;
}

async function logInWithPassword(page: Page, email: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

async function organizationPage(page: Page): Promise<string> {
  await page.goto('/dashboard');
  await page.getByRole('link', { name: 'Corp Inc' }).click();
  await expect(page).toHaveURL(/\/organizations\/\d+$/);
  // A full load too: the server-rendered page must hydrate cleanly with its single sign-on section.
  await page.reload();
  await hydrated(page);
  return page.url();
}

/** Starts "Log in with Enterprise SSO" from our login page and signs in at the IdP. */
async function ssoLogin(page: Page, email: string, tamper = false) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('SSO identifier').fill('corp');
  await page.getByRole('button', { name: 'Continue with SSO' }).click();
  await expect(page).toHaveURL(new RegExp(`^${IDP}/sso`));
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('Password').fill(IDP_PASSWORD);
  if (tamper) await page.getByLabel('Tamper with the signed response (test)').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an owner registers the identity provider from its metadata file', async ({ page }) => {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill(owner.name);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.goto(linkIn(await waitForMail(owner.email, 'Verify your email')));
  await logInWithPassword(page, owner.email);
  await page.getByLabel('Organization name').fill('Corp Inc');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(/\/organizations\/\d+$/);
  await hydrated(page);

  await page.getByRole('link', { name: 'Add identity provider' }).click();
  await expect(page.getByRole('heading', { name: 'Add an identity provider' })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('Display name').fill('Corp IdP');
  await page.getByLabel('SSO identifier').fill('corp');

  // A broken file first: the specific error, next to the field.
  await page.getByLabel('Metadata file').setInputFiles(tempFile('broken.xml', '<EntityDescriptor entityID="x"><IDPSSODescriptor>'));
  await expect(page.getByRole('textbox', { name: 'Metadata XML' })).toHaveValue(/IDPSSODescriptor/);
  await page.getByRole('button', { name: 'Add identity provider' }).click();
  await expect(page.getByText('The metadata is not well-formed XML')).toBeVisible();
  await snap(page, '20-idp-broken-metadata');

  const metadata = await (await page.request.get(`${IDP}/metadata`)).text();
  await page.getByLabel('Metadata file').setInputFiles(tempFile('idp-metadata.xml', metadata));
  await expect(page.getByRole('textbox', { name: 'Metadata XML' })).toHaveValue(/IDPSSODescriptor/);
  await snap(page, '21-idp-new');
  await page.getByRole('button', { name: 'Add identity provider' }).click();
  await expect(page).toHaveURL(/\/identity-providers\/corp$/);
  await expect(page.getByRole('heading', { name: 'Corp IdP' })).toBeVisible();
  await expect(page.locator('#certificates')).toContainText('Portcullis test IdP');
  await hydrated(page);

  // The IdP is given our SP metadata URL, copied from the page.
  const metadataUrl = await page.locator('#sp-metadata-url').inputValue();
  expect(metadataUrl).toBe('http://127.0.0.1:3100/saml/corp/metadata');
  await page.getByRole('button', { name: 'Copy SP metadata URL' }).click();
  await expect(page.getByRole('button', { name: 'Copy SP metadata URL' })).toHaveText('Copied');
  await snap(page, '22-idp-page');

  const idpAdmin = await page.context().newPage();
  await idpAdmin.goto(`${IDP}/admin`);
  await idpAdmin.getByLabel('Service provider metadata URL').fill(metadataUrl);
  await idpAdmin.getByRole('button', { name: 'Register' }).click();
  await expect(idpAdmin.locator('#registered')).toHaveText(metadataUrl);
  await idpAdmin.close();

  // A member who signs in with SSO only.
  await organizationPage(page);
  await page.locator('#provision-name').fill(member.name);
  await page.locator('#provision-email').fill(member.email);
  await page.getByRole('button', { name: 'Add member' }).click();
  await expect(page.getByText('Member added.')).toBeVisible();
  await expect(page.locator('#identity-providers')).toContainText('corp');
  await page.locator('#sso').scrollIntoViewIfNeeded();
  await snap(page, '23-organization-sso');
});

test('a pre-provisioned member logs in with Enterprise SSO', async ({ page }) => {
  await ssoLogin(page, member.email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  await expect(page.locator('.who')).toHaveText(member.name);
  await expect(page.getByRole('link', { name: 'Corp Inc' })).toBeVisible();
  await snap(page, '24-sso-signed-in');
});

test('an unknown SSO identifier is explained on the login page', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('SSO identifier').fill('nope');
  await page.getByRole('button', { name: 'Continue with SSO' }).click();
  await expect(page.getByText('There is no identity provider with the SSO identifier "nope"')).toBeVisible();
  await snap(page, '25-login-sso-unknown');
});

test('a tampered response shows a clear error, and the owner sees why', async ({ page, browser }) => {
  await ssoLogin(page, member.email, true);
  await expect(page.getByRole('heading', { name: 'Single sign-on failed' })).toBeVisible();
  await expect(page.getByText("The sign-in response's signature is not valid.")).toBeVisible();
  await expect(page.locator('code')).toHaveText('saml.signature_invalid');
  await snap(page, '26-sso-error');

  const ownerContext = await browser.newContext();
  const ownerPage = await ownerContext.newPage();
  await logInWithPassword(ownerPage, owner.email);
  await ownerPage.goto('/identity-providers/corp');
  await expect(ownerPage.locator('#failures')).toContainText('saml.signature_invalid');
  await expect(ownerPage.locator('#failures')).toContainText('does not verify with any registered certificate');
  await expect(ownerPage.getByText('1 linked account')).toBeVisible();
  await ownerPage.locator('#failures').scrollIntoViewIfNeeded();
  await snap(ownerPage, '27-idp-failures');
  await ownerContext.close();
});
