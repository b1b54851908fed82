// Enterprise SSO in a real browser against a real, independent SAML identity provider (samlify, on localhost while
// the app is on 127.0.0.1, so the IdP's POST to our ACS is cross-site): an owner uploads the IdP's metadata (and
// sees the specific error for a broken file), gives the IdP our SP metadata URL, pre-provisions a member who then
// logs in with "Log in with Enterprise SSO"; a tampered response shows a clear error page and the owner sees why.
// Then the account policies: a personal account enables Enterprise SSO (its fleet moves to the company, a receipt
// arrives by email, its password stops working), a merge with another address changes nothing, just-in-time accounts
// in a claimed and DNS-verified domain (and a refusal outside it), and an SSO session that ends (one minute in this
// configuration) sends the browser back to the identity provider.
import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  IDP, PASSWORD, hydrated, linkIn, snap, waitForMail, expectNoProblems, watchForProblems, setTxtRecord, signInAtIdp, ssoLogin,
} from './support';

test.describe.configure({ mode: 'serial' });

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

/** Signs up with a password, verifies the address and logs in. */
async function signUp(page: Page, name: string, email: string) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.goto(linkIn(await waitForMail(email, 'Verify your email')));
  await logInWithPassword(page, email);
}

/** From preferences, "Enable Enterprise SSO" with the identifier corp, up to the consent page. */
async function openConsent(page: Page) {
  await page.goto('/preferences');
  await hydrated(page);
  await page.getByLabel('SSO identifier').fill('corp');
  await page.getByRole('button', { name: 'Enable Enterprise SSO' }).click();
  await expect(page).toHaveURL(/\/preferences\/enterprise-sso\?identifier=corp$/);
  await expect(page.getByRole('heading', { name: 'Enable Enterprise SSO', level: 1 })).toBeVisible();
  await hydrated(page);
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
  await ssoLogin(page, member.email, { tamper: true });
  await expect(page.getByRole('heading', { name: 'Single sign-on failed' })).toBeVisible();
  await expect(page.getByText("The sign-in response's signature is not valid.")).toBeVisible();
  await expect(page.locator('code')).toHaveText('saml.signature_invalid');
  await snap(page, '26-sso-error');

  const ownerContext = await browser.newContext();
  const ownerPage = await ownerContext.newPage();
  await logInWithPassword(ownerPage, owner.email);
  await ownerPage.goto('/identity-providers/corp');
  await expect(ownerPage.locator('#failures')).toContainText('saml.signature_invalid');
  await expect(ownerPage.locator('#failures')).toContainText('was changed after signing');
  await expect(ownerPage.getByText('1 linked account')).toBeVisible();
  await ownerPage.locator('#failures').scrollIntoViewIfNeeded();
  await snap(ownerPage, '27-idp-failures');
  await ownerContext.close();
});

test('a personal account enables Enterprise SSO: its fleet moves to the company, a receipt arrives', async ({ page, browser }) => {
  const pat = { name: 'Pat Personal', email: 'pat@corp.test' };
  await signUp(page, pat.name, pat.email);
  await hydrated(page);
  await page.getByLabel('Fleet name').fill('Greenhouse sensors');
  await page.getByLabel('Owner').selectOption({ label: 'Me (personal)' });
  await page.getByRole('button', { name: 'Create fleet' }).click();
  await expect(page).toHaveURL(/\/fleets\/\d+$/);
  const fleetUrl = page.url();
  await hydrated(page);
  await page.getByLabel('Device name').fill('Probe 1');
  await page.getByRole('button', { name: 'Add device' }).click();
  await expect(page.getByRole('link', { name: 'Probe 1' })).toBeVisible();

  await openConsent(page);
  const consent = page.locator('.merge-consent');
  await expect(consent).toContainText('This cannot be undone.');
  await expect(consent).toContainText('Your API keys will be deleted.');
  await expect(consent).toContainText('Ownership of your fleets and devices will be transferred to Corp Inc.');
  await expect(consent).toContainText('Greenhouse sensors (1 device)');
  await expect(consent).toContainText('You will no longer be able to log in with your email and password.');
  await snap(page, '40-enterprise-sso-consent');
  await page.getByLabel('I understand that this cannot be undone, and I agree to these changes.').check();
  await page.getByRole('button', { name: 'Enable Enterprise SSO' }).click();
  await signInAtIdp(page, pat.email);

  await expect(page).toHaveURL(/\/preferences\/enterprise-sso\/receipt$/);
  await expect(page.getByRole('heading', { name: 'Enterprise SSO is enabled' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('is now a company account of Corp Inc');
  await expect(page.locator('.merge-receipt table')).toContainText('Greenhouse sensors');
  await hydrated(page);
  await snap(page, '41-enterprise-sso-receipt');
  const mail = await waitForMail(pat.email, 'Enterprise SSO is enabled');
  expect(mail.text).toContain('Greenhouse sensors (1 devices)');
  expect(mail.text).toContain('Password login is disabled');

  // The fleet and its device now belong to the company.
  await page.goto(fleetUrl);
  await expect(page.getByText('Owned by Corp Inc')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Probe 1' })).toBeVisible();

  // The old password now says where to sign in instead.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto('/login');
  await hydrated(otherPage);
  await otherPage.getByLabel('Email').fill(pat.email);
  await otherPage.getByLabel('Password').fill(PASSWORD);
  await otherPage.getByRole('button', { name: 'Log in' }).click();
  await expect(otherPage.getByText('This account signs in with Enterprise SSO now')).toBeVisible();
  await expect(otherPage.getByText('enter the SSO identifier "corp"')).toBeVisible();
  await other.close();
});

test('a merge where the identity provider asserts another address changes nothing', async ({ page }) => {
  const quinn = { name: 'Quinn Quiet', email: 'quinn@corp.test' };
  await signUp(page, quinn.name, quinn.email);
  await openConsent(page);
  await page.getByLabel('I understand that this cannot be undone, and I agree to these changes.').check();
  await page.getByRole('button', { name: 'Enable Enterprise SSO' }).click();
  await signInAtIdp(page, 'someone-else@corp.test');
  await expect(page.getByRole('heading', { name: 'Enterprise SSO was not enabled' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('signed you in as someone-else@corp.test');
  await expect(page.getByRole('alert')).toContainText('Nothing was changed');
  await expect(page.locator('code')).toHaveText('merge.email_mismatch');
  await snap(page, '42-enterprise-sso-mismatch');
  await page.getByRole('link', { name: 'Back to preferences' }).click();
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Password' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Enable Enterprise SSO' })).toBeVisible();
});

test('just-in-time: a new person in the verified domain gets an account, anyone else is refused', async ({ page, browser }) => {
  await logInWithPassword(page, owner.email);
  await organizationPage(page);
  const domains = page.locator('#domains');
  await domains.getByLabel('Domain').fill('corp.test');
  await domains.getByRole('button', { name: 'Claim domain' }).click();
  const card = domains.getByRole('article', { name: 'corp.test' });
  const recordValue = await card.getByRole('textbox', { name: 'Record value' }).inputValue();
  await setTxtRecord('_portcullis-challenge.corp.test', [recordValue]);
  await card.getByRole('button', { name: 'Verify' }).click();
  await expect(card.getByText('Verified', { exact: true })).toBeVisible({ timeout: 20_000 });

  await page.goto('/identity-providers/corp');
  await hydrated(page);
  await page.getByLabel('Create accounts on first login (just-in-time)').check();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await page.locator('#idp-settings-form').scrollIntoViewIfNeeded();
  await snap(page, '43-idp-account-policies', false);

  const newcomer = await browser.newContext();
  const newcomerPage = await newcomer.newPage();
  await ssoLogin(newcomerPage, 'newbie@corp.test');
  await expect(newcomerPage).toHaveURL(/\/dashboard$/);
  await hydrated(newcomerPage);
  await expect(newcomerPage.locator('.who')).toHaveText('Newbie Example');
  await expect(newcomerPage.getByRole('link', { name: 'Corp Inc' })).toBeVisible();
  await newcomer.close();

  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await ssoLogin(strangerPage, 'visitor@elsewhere.test');
  await expect(strangerPage.getByRole('heading', { name: 'Single sign-on failed' })).toBeVisible();
  // The person is not told why (that would tell strangers which accounts exist); the owner's page says.
  await expect(strangerPage.getByRole('alert')).toContainText('there is no Portcullis account for you');
  await expect(strangerPage.getByRole('alert')).not.toContainText('elsewhere.test');
  await expect(strangerPage.locator('code')).toHaveText('sso.no_account');
  await snap(strangerPage, '44-jit-refused');
  await stranger.close();
  await page.goto('/identity-providers/corp');
  await expect(page.locator('#failures')).toContainText('elsewhere.test is not a verified domain');
});

test('an SSO session ends at its lifetime and the browser goes back to the identity provider', async ({ page }) => {
  test.setTimeout(150_000);
  await ssoLogin(page, member.email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  // This configuration caps SSO sessions at one minute.
  await page.waitForTimeout(62_000);
  await page.goto('/preferences');
  await signInAtIdp(page, member.email);
  await expect(page).toHaveURL(/\/preferences$/);
  await hydrated(page);
  await expect(page.locator('.who')).toHaveText(member.name);
});
