// Playwright drives Debian's Chromium (never a downloaded browser) against the real Portcullis server binary,
// started fresh on SQLite with a real SMTP server beside it.
import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const binary = process.env.PORTCULLIS_BIN ?? path.join(targetDir, 'debug', 'portcullis');
const runDir = path.join(here, '.run');
export const appPort = 3100;
export const mailHttpPort = 2526;
export const idpPort = 7100;
export const dnsPort = 5354;
export const dnsHttpPort = 5380;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${appPort}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    viewport: { width: 1280, height: 860 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: 'node support/mail-server.mjs',
      url: `http://127.0.0.1:${mailHttpPort}/health`,
      cwd: here,
      reuseExistingServer: false,
      env: { MAIL_SMTP_PORT: '2525', MAIL_HTTP_PORT: String(mailHttpPort) },
    },
    {
      // The independent SAML identity provider (samlify), on another site (localhost) than the app (127.0.0.1).
      command: 'node support/idp-server.mjs',
      url: `http://127.0.0.1:${idpPort}/health`,
      cwd: here,
      reuseExistingServer: false,
      env: { IDP_PORT: String(idpPort), IDP_HOST: 'localhost' },
    },
    {
      // A real DNS server (UDP and TCP) whose TXT records the tests set, so claimed domains can be verified.
      command: 'node support/dns-server.mjs',
      url: `http://127.0.0.1:${dnsHttpPort}/health`,
      cwd: here,
      reuseExistingServer: false,
      env: { DNS_PORT: String(dnsPort), DNS_HTTP_PORT: String(dnsHttpPort) },
    },
    {
      // A fresh data directory (SQLite database) each run.
      command: `rm -rf "${runDir}" && mkdir -p "${runDir}" && "${binary}" serve`,
      url: `http://127.0.0.1:${appPort}/healthz`,
      cwd: root,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        PORTCULLIS_BASE_URL: `http://127.0.0.1:${appPort}`,
        PORTCULLIS_LISTEN: `127.0.0.1:${appPort}`,
        PORTCULLIS_DATA_DIR: path.join(runDir, 'data'),
        PORTCULLIS_SMTP_URL: 'smtp://127.0.0.1:2525',
        PORTCULLIS_RATE_LIMIT_PER_IP: '1000',
        PORTCULLIS_DNS_NAMESERVER: `127.0.0.1:${dnsPort}`,
        // SSO sessions end after a minute, so a test can watch the browser go back to the identity provider.
        PORTCULLIS_SSO_SESSION_MAX_MINUTES: '1',
        LEPTOS_SITE_ROOT: path.join(root, 'target', 'site'),
        RUST_LOG: 'info',
      },
    },
  ],
});
