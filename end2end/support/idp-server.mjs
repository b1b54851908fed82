// A real, independent SAML identity provider for the end-to-end tests, built on samlify (npm). It signs with its own
// RSA key and self-signed certificate (made by the openssl command at start-up), publishes its metadata, learns the
// service provider from the SP metadata URL an administrator gives it, and signs people in with a small login form.
//
//   GET  /metadata           the IdP's metadata XML
//   GET  /admin              form: register a service provider by its metadata URL
//   POST /admin              fetches and registers that SP metadata
//   GET  /sso                HTTP-Redirect binding: shows the login form for the AuthnRequest
//   POST /login              signs the person in and posts the SAMLResponse to the SP's ACS (auto-submitted form)
//
// The login form has a "tamper" checkbox: the signed response is then edited after signing (the NameID changes),
// which a correct service provider must refuse; and a "Groups" field: comma-separated values of a multi-valued
// `groups` attribute (left out of the response when empty), for role mappings.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import samlify from 'samlify';
import * as validator from '@authenio/samlify-node-xmllint';

const port = Number(process.env.IDP_PORT ?? 7100);
const host = process.env.IDP_HOST ?? 'localhost';
const base = `http://${host}:${port}`;
const dir = process.env.IDP_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-idp-'));
const PASSWORD = 'correct-horse';

samlify.setSchemaValidator(validator);

fs.mkdirSync(dir, { recursive: true });
const keyPath = path.join(dir, 'idp-key.pem');
const certPath = path.join(dir, 'idp-cert.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
  '-subj', '/CN=Portcullis test IdP', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });

const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const GROUPS_MARKER = 'PORTCULLIS-TEST-GROUPS';
const idp = samlify.IdentityProvider({
  entityID: `${base}/metadata`,
  privateKey: fs.readFileSync(keyPath),
  signingCert: fs.readFileSync(certPath),
  isAssertionEncrypted: false,
  wantAuthnRequestsSigned: false,
  nameIDFormat: [EMAIL],
  singleSignOnService: [
    { Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `${base}/sso` },
  ],
  loginResponseTemplate: {
    context: samlify.SamlLib.defaultLoginResponseTemplate.context,
    attributes: [
      { name: 'email', valueTag: 'user.email', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', valueXsiType: 'xs:string' },
      { name: 'firstName', valueTag: 'user.firstName', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', valueXsiType: 'xs:string' },
      { name: 'lastName', valueTag: 'user.lastName', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', valueXsiType: 'xs:string' },
      { name: 'groups', valueTag: 'user.groups', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', valueXsiType: 'xs:string' },
    ],
  },
});

let sp = null;

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function page(res, title, body, status = 200) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;color:#1e293b}label{display:block;margin:.8rem 0 .2rem}
input[type=text],input[type=password],input[type=url]{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem}
.brand{color:#7c3aed;font-weight:bold}</style></head><body><p class="brand">Test IdP (samlify)</p>${body}</body></html>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function templateCallback(user, request) {
  return (template) => {
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60 * 1000);
    const acs = sp.entityMeta.getAssertionConsumerService(samlify.Constants.wording.binding.post);
    const id = `_${randomUUID()}`;
    const values = {
      ID: id,
      AssertionID: `_${randomUUID()}`,
      Destination: acs,
      Audience: sp.entityMeta.getEntityID(),
      EntityID: sp.entityMeta.getEntityID(),
      SubjectRecipient: acs,
      Issuer: idp.entityMeta.getEntityID(),
      IssueInstant: now.toISOString(),
      AssertionConsumerServiceURL: acs,
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later.toISOString(),
      SubjectConfirmationDataNotOnOrAfter: later.toISOString(),
      NameIDFormat: EMAIL,
      NameID: user.email,
      InResponseTo: request?.id ?? '',
      attrUserEmail: user.email,
      attrUserFirstName: user.firstName,
      attrUserLastName: user.lastName,
      attrUserGroups: GROUPS_MARKER,
    };
    // The tag values are escaped by samlify, so the AuthnStatement element goes in before the replacement.
    const authn = '<saml:AuthnStatement AuthnInstant="{IssueInstant}" SessionIndex="{AssertionID}"><saml:AuthnContext>'
      + '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>'
      + '</saml:AuthnContext></saml:AuthnStatement>';
    let context = samlify.SamlLib.replaceTagsByValue(template.replace('{AuthnStatement}', authn), values);
    // samlify writes one AttributeValue per attribute: the groups attribute gets one per group, or goes away.
    const groupsAttribute = new RegExp(`<saml:Attribute Name="groups"[^>]*>\\s*(<saml:AttributeValue[^>]*>)${GROUPS_MARKER}</saml:AttributeValue>\\s*</saml:Attribute>`);
    context = context.replace(groupsAttribute, (whole, open) => (user.groups.length === 0 ? ''
      : whole.replace(`${open}${GROUPS_MARKER}</saml:AttributeValue>`,
        user.groups.map((g) => `${open}${escape(g)}</saml:AttributeValue>`).join(''))));
    if (context.includes(GROUPS_MARKER)) throw new Error('the groups attribute was not rewritten');
    return { id, context };
  };
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  try {
    if (url.pathname === '/health') {
      res.end('ok');
    } else if (url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      res.end(idp.getMetadata());
    } else if (url.pathname === '/admin' && req.method === 'GET') {
      page(res, 'Register a service provider', `<h1>Register a service provider</h1>
        <p>${sp ? `Registered: <code id="registered">${escape(sp.entityMeta.getEntityID())}</code>` : 'No service provider yet.'}</p>
        <form method="post" action="/admin"><label for="sp-metadata-url">Service provider metadata URL</label>
        <input id="sp-metadata-url" name="url" type="url" required><button type="submit">Register</button></form>`);
    } else if (url.pathname === '/admin' && req.method === 'POST') {
      const form = await readForm(req);
      const response = await fetch(form.get('url'));
      if (!response.ok) throw new Error(`fetching the SP metadata: HTTP ${response.status}`);
      sp = samlify.ServiceProvider({ metadata: await response.text() });
      res.writeHead(303, { location: '/admin' });
      res.end();
    } else if (url.pathname === '/sso') {
      if (!sp) return page(res, 'Not configured', '<h1>No service provider registered</h1>', 400);
      const query = Object.fromEntries(url.searchParams);
      await idp.parseLoginRequest(sp, 'redirect', { query });
      page(res, 'Sign in', `<h1>Sign in to your company</h1>
        <form method="post" action="/login">
        <input type="hidden" name="SAMLRequest" value="${escape(query.SAMLRequest)}">
        <input type="hidden" name="RelayState" value="${escape(query.RelayState ?? '')}">
        <label for="email">Work email</label><input id="email" name="email" type="text" autocomplete="off" required>
        <label for="password">Password</label><input id="password" name="password" type="password" required>
        <label for="groups">Groups (comma-separated)</label><input id="groups" name="groups" type="text" autocomplete="off">
        <label><input type="checkbox" name="tamper"> Tamper with the signed response (test)</label>
        <button type="submit">Sign in</button></form>`);
    } else if (url.pathname === '/login' && req.method === 'POST') {
      const form = await readForm(req);
      if (form.get('password') !== PASSWORD) return page(res, 'Sign in', '<h1>Wrong password</h1>', 401);
      const email = form.get('email');
      const local = email.split('@')[0];
      const groups = (form.get('groups') ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
      const user = { email, firstName: local.charAt(0).toUpperCase() + local.slice(1), lastName: 'Example', groups };
      const { extract } = await idp.parseLoginRequest(sp, 'redirect', {
        query: { SAMLRequest: form.get('SAMLRequest'), RelayState: form.get('RelayState') },
      });
      const relayState = form.get('RelayState') ?? '';
      const { context, entityEndpoint } = await idp.createLoginResponse(
        sp, { extract }, 'post', user, templateCallback(user, extract.request), false, relayState);
      let samlResponse = context;
      if (form.get('tamper')) {
        const xml = Buffer.from(context, 'base64').toString('utf8').replace(`>${email}<`, '>ceo@corp.example<');
        samlResponse = Buffer.from(xml, 'utf8').toString('base64');
      }
      page(res, 'Signing in', `<form id="post" method="post" action="${escape(entityEndpoint)}">
        <input type="hidden" name="SAMLResponse" value="${escape(samlResponse)}">
        <input type="hidden" name="RelayState" value="${escape(relayState)}">
        <button type="submit">Continue</button></form>
        <script>document.getElementById('post').submit()</script>`);
    } else {
      page(res, 'Not found', '<h1>Not found</h1>', 404);
    }
  } catch (err) {
    console.error(err);
    page(res, 'Error', `<h1>IdP error</h1><pre>${escape(err.message)}</pre>`, 500);
  }
});

server.listen(port, '127.0.0.1', () => console.log(`test IdP on ${base}`));
