// The foundation journey in a real browser: sign up, verify by email, log in, create an organization, invite a
// second person who signs up and joins, create a fleet and a device; and the bad paths.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { PASSWORD, hydrated, linkIn, snap, sql, waitForMail, expectNoProblems, watchForProblems } from './support';

test.describe.configure({ mode: 'serial' });

// Hydration mismatches, panics in the WebAssembly and failed requests show up as console errors: none are allowed.
test.beforeEach(async ({ page, context }) => watchForProblems(page, context));
test.afterEach(async ({ page }) => expectNoProblems(page));

const alice = { name: 'Alice Owner', email: 'alice@acme.test' };
const bob = { name: 'Bob Member', email: 'bob@acme.test' };

async function logIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function organizationIdOf(page: Page, name: string): Promise<string> {
  await page.goto('/dashboard');
  const href = await page.getByRole('link', { name }).getAttribute('href');
  return href!.split('/').pop()!;
}

/** The page fits the viewport's width; lists what sticks out otherwise. */
async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide: string[] = [];
    document.querySelectorAll('body *').forEach((el) => {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && !el.closest('.table')) wide.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(box.right)}px)`);
    });
    return { scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10) };
  });
  expect(overflow.wide).toEqual([]);
  expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.width);
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test('sign up, verify the email, log in', async ({ page }) => {
  await page.goto('/');
  await snap(page, '01-landing');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await hydrated(page);

  // A weak password is refused next to its field.
  await page.getByLabel('Your name').fill(alice.name);
  await page.getByLabel('Email').fill(alice.email);
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#field-password-error')).toContainText('too easy to guess');
  await snap(page, '02-signup-weak-password');

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup\/check-email$/);
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await snap(page, '03-check-email');

  const mail = await waitForMail(alice.email, 'Verify your email');
  await page.goto(linkIn(mail));
  await expect(page.getByText(`${alice.email} is verified.`)).toBeVisible();
  await snap(page, '04-email-verified');

  await page.getByRole('link', { name: 'Log in' }).last().click();
  await expect(page).toHaveURL(/\/login$/);
  await logIn(page, alice.email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.locator('.who')).toHaveText(alice.name);
  await snap(page, '05-dashboard-empty');
});

test('bad paths: duplicate email and wrong password', async ({ page }) => {
  // Signing up again with a registered address shows the same page as a new sign-up, and the owner is told by mail.
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Impostor');
  await page.getByLabel('Email').fill(alice.email.toUpperCase());
  await page.getByLabel('Password').fill('another-strong-pass-42');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup\/check-email$/);
  const notice = await waitForMail(alice.email, 'already have a Portcullis account');
  expect(notice.text).toContain('already has an account');

  await logIn(page, alice.email, 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('The email or password is not correct.');
  await expect(page).toHaveURL(/\/login/);
  await snap(page, '06-login-wrong-password');
});

test('forms work without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(alice.email);
  await page.getByLabel('Password').fill('still-not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is not correct.');
  await page.getByLabel('Email').fill(alice.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await context.close();
});

test('create an organization, invite a second person who signs up and joins', async ({ page, browser }) => {
  await logIn(page, alice.email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  await page.getByLabel('Organization name').fill('Acme Robotics');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(/\/organizations\/\d+$/);
  await expect(page.getByRole('heading', { name: 'Acme Robotics', level: 1 })).toBeVisible();
  await hydrated(page);

  await page.getByLabel('Email address').fill(bob.email);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText('Invitation sent.')).toBeVisible();
  await expect(page.locator('#invitations table')).toContainText(bob.email);
  await expect(page.getByLabel('Email address')).toHaveValue('');
  await page.getByLabel('Team name').fill('Field operations');
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page.locator('article.team h3')).toHaveText('Field operations');
  await snap(page, '07-organization-owner');

  const invitation = await waitForMail(bob.email, 'Join Acme Robotics');
  const bobPage = await newPage(browser);
  await bobPage.goto(linkIn(invitation));
  await expect(bobPage.getByRole('heading', { name: 'Join Acme Robotics' })).toBeVisible();
  await snap(bobPage, '08-invitation');
  await bobPage.getByRole('link', { name: 'Sign up and join' }).click();
  await expect(bobPage).toHaveURL(/\/signup\?invitation=/);
  await hydrated(bobPage);
  await expect(bobPage.getByLabel('Email')).toHaveValue(bob.email);
  await bobPage.getByLabel('Your name').fill(bob.name);
  await bobPage.getByLabel('Password').fill('copper-lantern-harbor-9');
  await bobPage.getByRole('button', { name: 'Create account' }).click();
  await expect(bobPage).toHaveURL(/\/organizations\/\d+$/);
  await expect(bobPage.getByRole('heading', { name: 'Acme Robotics', level: 1 })).toBeVisible();
  await expect(bobPage.locator('tr[data-email="bob@acme.test"]')).toContainText('Member');
  await snap(bobPage, '09-organization-member');

  // A member trying an owner action: the page offers none, and the server refuses a forged one.
  await expect(bobPage.getByRole('button', { name: 'Send invitation' })).toHaveCount(0);
  const organizationId = bobPage.url().split('/').pop()!;
  const refusal = await bobPage.evaluate(async (id) => {
    const token = (document.querySelector('input[name="csrf_token"]') as HTMLInputElement).value;
    const body = new URLSearchParams({ csrf_token: token, organization_id: id, email: 'friend@acme.test', role: 'owner' });
    const res = await fetch('/api/invite_member', { method: 'POST', body, headers: { accept: 'application/json' } });
    return { status: res.status, body: await res.json() };
  }, organizationId);
  expect(refusal.status).toBe(403);
  expect(refusal.body.code).toBe('permission_denied');

  await page.reload();
  await expect(page.locator('tr[data-email="bob@acme.test"]')).toBeVisible();
  await bobPage.context().close();
});

test('create a fleet and a device', async ({ page }) => {
  await logIn(page, alice.email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  await page.getByLabel('Fleet name').fill('Delivery robots');
  await page.getByLabel('Owner').selectOption({ label: 'Acme Robotics' });
  await page.getByRole('button', { name: 'Create fleet' }).click();
  await expect(page).toHaveURL(/\/fleets\/\d+$/);
  await expect(page.getByRole('heading', { name: 'Delivery robots', level: 1 })).toBeVisible();
  await expect(page.getByText('Owned by Acme Robotics')).toBeVisible();
  await hydrated(page);

  await page.getByLabel('Device name').fill('Robot 1');
  await page.getByLabel('UUID (optional)').fill('not-a-uuid');
  await page.getByRole('button', { name: 'Add device' }).click();
  await expect(page.locator('#device-uuid-error')).toContainText('32 hexadecimal digits');
  await page.getByLabel('UUID (optional)').fill('0c8e2d9a-6b1f-4c3a-9e2b-1234567890ab');
  await page.getByRole('button', { name: 'Add device' }).click();
  await expect(page.getByRole('link', { name: 'Robot 1' })).toBeVisible();
  await snap(page, '10-fleet');
  await page.getByRole('link', { name: 'Robot 1' }).click();
  await expect(page).toHaveURL(/\/devices\/\d+$/);
  await expect(page.getByText('0c8e2d9a6b1f4c3a9e2b1234567890ab')).toBeVisible();
  await snap(page, '11-device');

  await page.goto('/dashboard');
  await expect(page.locator('table')).toContainText('Delivery robots');
  await snap(page, '12-dashboard');
  await page.goto('/preferences');
  await expect(page.getByRole('heading', { name: 'Signed-in devices' })).toBeVisible();
  await snap(page, '13-preferences');

  // The same pages on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/dashboard');
  await snap(page, '15-dashboard-phone');
  await expectNoHorizontalScroll(page);
  await page.goto(`/organizations/${await organizationIdOf(page, 'Acme Robotics')}`);
  await snap(page, '16-organization-phone');
  await expectNoHorizontalScroll(page);
});

test('an expired password reset link is refused', async ({ page }) => {
  await page.goto('/forgot-password');
  await hydrated(page);
  await page.getByLabel('Email').fill(alice.email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page).toHaveURL(/\/forgot-password\/sent$/);
  const mail = await waitForMail(alice.email, 'Reset your Portcullis password');

  // An hour passes: move the link's expiry into the past.
  sql("UPDATE email_tokens SET expires_at = '2020-01-01 00:00:00+00:00' WHERE purpose = 'reset_password'");
  await page.goto(linkIn(mail));
  await hydrated(page);
  await page.getByLabel('New password', { exact: true }).fill('saffron-glacier-violin-3');
  await page.getByLabel('Repeat the new password').fill('saffron-glacier-violin-3');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('alert')).toHaveText('This link has expired. Request a new one.');
  await expect(page.getByRole('link', { name: 'Request a new link' })).toBeVisible();
  await snap(page, '14-reset-link-expired');

  // The old password still works.
  await logIn(page, alice.email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
});
