// Two-factor authentication and API keys in a real browser: a person turns on 2FA by scanning (reading) the secret
// and typing the code their app would show (computed here with Node's own HMAC, independently of the app), saves
// the recovery codes, logs out and in with a code, is refused a reused code, gets in with a recovery code; then
// creates a personal API key, uses it with an HTTP client, revokes it and sees it refused at once.
import { test, expect, type Page } from '@playwright/test';
import crypto from 'node:crypto';
import { PASSWORD, hydrated, linkIn, snap, waitForMail, expectNoProblems, watchForProblems, refuseDnsQueries } from './support';

test.describe.configure({ mode: 'serial' });
test.beforeEach(async ({ page, context }) => watchForProblems(page, context));
test.afterEach(async ({ page }) => expectNoProblems(page));

const tess = { name: 'Tess Twofactor', email: 'tess@secure.test' };
let secret = '';
let recoveryCodes: string[] = [];
let lastStep = 0;

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 (HMAC-SHA1, 6 digits, 30-second steps) for the given time step. */
function totpAt(step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  return ((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

const currentStep = () => Math.floor(Date.now() / 1000 / 30);

/** A code of a step no code was used at yet (waits for the next step when needed), as a person would. */
async function freshCode(page: Page): Promise<string> {
  while (currentStep() <= lastStep) await page.waitForTimeout(1000);
  lastStep = currentStep();
  return totpAt(lastStep);
}

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login\?logged_out=1$/);
}

async function passwordStep(page: Page) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(tess.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await hydrated(page);
}

test('turn on two-factor authentication and save the recovery codes', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill(tess.name);
  await page.getByLabel('Email').fill(tess.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.goto(linkIn(await waitForMail(tess.email, 'Verify your email')));
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(tess.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.goto('/preferences');
  await hydrated(page);
  const section = page.locator('#two-factor');
  await section.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await expect(section.getByRole('img', { name: /QR code/ })).toBeVisible();
  secret = await section.getByRole('textbox', { name: 'Secret key' }).inputValue();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await snap(page, '30-2fa-setup');

  // A wrong code first: said next to the field.
  await section.getByLabel('Authentication code').fill(totpAt(currentStep() + 5));
  await section.getByRole('button', { name: 'Turn on' }).click();
  await expect(section.getByRole('alert')).toContainText('That code is not correct');

  await section.getByLabel('Authentication code').fill(await freshCode(page));
  await section.getByRole('button', { name: 'Turn on' }).click();
  const codes = section.locator('.recovery-codes li');
  await expect(codes).toHaveCount(10);
  recoveryCodes = await codes.allInnerTexts();
  await expect(section.getByText(/On\b/).first()).toBeVisible();
  await expect(section).toContainText('10 recovery codes left');
  await snap(page, '31-2fa-recovery-codes');
  await waitForMail(tess.email, 'Two-factor authentication was turned on');
});

test('log in with a code, a reused code is refused, a recovery code works once', async ({ page }) => {
  test.setTimeout(120_000);
  await passwordStep(page);
  await snap(page, '32-login-two-factor');
  const code = await freshCode(page);
  await page.getByLabel('Authentication code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.locator('.who')).toHaveText(tess.name);
  await logOut(page);

  // The same code again: refused with its own message.
  await passwordStep(page);
  await page.getByLabel('Authentication code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toHaveText('This code was already used. Wait for your authenticator app to show the next one.');
  await snap(page, '33-login-code-reused');

  // A recovery code instead, then that recovery code is spent.
  await page.getByLabel('Authentication code').fill(recoveryCodes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await logOut(page);
  await passwordStep(page);
  await page.getByLabel('Authentication code').fill(recoveryCodes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toHaveText('This recovery code was already used. Each recovery code works only once.');
  await page.getByLabel('Authentication code').fill(recoveryCodes[1]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/preferences');
  await expect(page.locator('#two-factor')).toContainText('8 recovery codes left');
});

test('create a personal API key, use it over HTTP, revoke it', async ({ page, baseURL }) => {
  await passwordStep(page);
  await page.getByLabel('Authentication code').fill(recoveryCodes[2]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/preferences');
  await hydrated(page);
  const keys = page.locator('#api-keys');
  await keys.getByLabel('Key name').fill('Deploy script');
  await keys.getByLabel('Expires').selectOption('30');
  await keys.getByRole('button', { name: 'Create key' }).click();
  const shown = keys.getByRole('textbox', { name: 'API key' });
  await expect(shown).toBeVisible();
  const key = await shown.inputValue();
  expect(key).toMatch(/^pc_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  await expect(keys.locator('table')).toContainText('Deploy script');
  await expect(keys.getByLabel('Key name')).toHaveValue('');
  await snap(page, '34-api-key-created');

  const me = await fetch(`${baseURL}/api/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
  expect(me.status).toBe(200);
  expect((await me.json()).person.email).toBe(tess.email);
  const fleet = await fetch(`${baseURL}/api/v1/fleets`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Made by the API' }),
  });
  expect(fleet.status).toBe(201);

  // The list shows the last use; revoking stops the key at once.
  await page.reload();
  await hydrated(page);
  await expect(keys.locator('tbody tr').first()).toContainText('from 127.0.0.1');
  await keys.getByRole('button', { name: 'Revoke Deploy script' }).click();
  await expect(keys.locator('tbody tr').first()).toContainText('Revoked');
  const refused = await fetch(`${baseURL}/api/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
  expect(refused.status).toBe(401);
  expect((await refused.json()).code).toBe('api_key.revoked');
  await snap(page, '35-api-keys-revoked');

  await page.goto('/dashboard');
  await expect(page.getByRole('link', { name: 'Made by the API' })).toBeVisible();
});

test('the API reference page', async ({ page }) => {
  await page.goto('/api/docs');
  await expect(page.getByRole('heading', { name: 'Portcullis API', level: 1 })).toBeVisible();
  await expect(page.locator('#schema-FleetOut')).toBeVisible();
  await snap(page, '36-api-docs', false);
});

test('an owner requires 2FA and creates an organization API key', async ({ page, baseURL }) => {
  await passwordStep(page);
  await page.getByLabel('Authentication code').fill(recoveryCodes[3]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  await page.getByLabel('Organization name').fill('Secure Co');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(/\/organizations\/\d+$/);
  await page.reload();
  await hydrated(page);
  const security = page.locator('#security');
  await security.getByLabel('Require two-factor authentication for members who log in with a password').check();
  await security.getByRole('button', { name: 'Save' }).click();
  await expect(security.getByText('Saved.')).toBeVisible();
  await security.getByLabel('Key name').fill('CI pipeline');
  await security.getByLabel('Role').selectOption('admin');
  await security.getByRole('button', { name: 'Create key' }).click();
  const key = await security.getByRole('textbox', { name: 'API key' }).inputValue();
  await expect(security.locator('table')).toContainText('CI pipeline');
  await expect(security.locator('table')).toContainText('Admin');
  const me = await fetch(`${baseURL}/api/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
  const body = await me.json();
  expect([me.status, body.kind, body.role, body.organization.name]).toEqual([200, 'organization_key', 'admin', 'Secure Co']);
  await page.reload();
  await hydrated(page);
  await expect(security.getByLabel('Require two-factor authentication for members who log in with a password')).toBeChecked();
    await security.scrollIntoViewIfNeeded();
  await snap(page, '37-organization-security');

  // A claimed domain shows the DNS record to create; a failed lookup is explained.
  const domains = page.locator('#domains');
  await domains.getByLabel('Domain').fill('Secure.Test');
  await domains.getByRole('button', { name: 'Claim domain' }).click();
  const card = domains.getByRole('article', { name: 'secure.test' });
  await expect(card).toContainText('Not verified');
  await expect(card.getByRole('textbox', { name: 'Record name' })).toHaveValue('_portcullis-challenge.secure.test');
  await expect(card.getByRole('textbox', { name: 'Record value' })).toHaveValue(/^portcullis-verification=/);
  await refuseDnsQueries(true);
  await card.getByRole('button', { name: 'Verify' }).click();
  await expect(domains.getByRole('alert')).toContainText('The DNS lookup of _portcullis-challenge.secure.test failed', { timeout: 20_000 });
  await refuseDnsQueries(false);
  await domains.scrollIntoViewIfNeeded();
  await snap(page, '38-organization-domains', false);
});
