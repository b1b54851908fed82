// A real (small) authoritative DNS server for the end-to-end tests: Portcullis looks up the TXT record
// `_portcullis-challenge.{domain}` here (UDP on DNS_PORT, TCP on the same port when an answer is truncated), and the
// tests publish the records over HTTP (port DNS_HTTP_PORT). Only the Node standard library.
//
//   PUT|POST /records            {"name": "_portcullis-challenge.corp.test", "values": ["portcullis-verification=…"]}
//                                sets (replaces) the TXT values of that name
//   DELETE   /records?name=NAME  removes that name (without ?name= every name)
//   GET      /records            [{"name", "values"}] as JSON
//   PUT|POST /refuse             {"refuse": true} makes every answer REFUSED (a broken nameserver), false undoes it
//   GET      /health             "ok"
//
// Names are case-insensitive, the trailing dot optional. A TXT query of a known name answers one record per value
// (TTL 5); another type of a known name answers NOERROR without records; an unknown name answers NXDOMAIN.
import dgram from 'node:dgram';
import net from 'node:net';
import http from 'node:http';

const dnsPort = Number(process.env.DNS_PORT ?? 5353);
const httpPort = Number(process.env.DNS_HTTP_PORT ?? 5380);
const records = new Map(); // normalized name -> [value]
let refuse = false;

const TXT = 16;
const OPT = 41;
const ANY = 255;
const IN = 1;
const TTL = 5;
const EDNS_SIZE = 1232;
const RCODES = { 0: 'NOERROR', 1: 'FORMERR', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 16: 'BADVERS' };

// DNS names compare case-insensitively over ASCII only.
const normalize = (name) => name.replace(/\.+$/, '').replace(/[A-Z]/g, (c) => c.toLowerCase());

// The name at `offset` (compression pointers followed): its labels as buffers and the offset after it.
function readName(buf, offset) {
  const labels = [];
  let next = -1;
  let length = 0;
  for (let jumps = 0; ; ) {
    if (offset >= buf.length) throw new Error('name past end');
    const len = buf[offset];
    if ((len & 0xc0) === 0xc0) {
      if (offset + 1 >= buf.length || ++jumps > 16) throw new Error('bad pointer');
      if (next < 0) next = offset + 2;
      offset = ((len & 0x3f) << 8) | buf[offset + 1];
      continue;
    }
    if (len & 0xc0) throw new Error('bad label type');
    if (len === 0) return { labels, next: next < 0 ? offset + 1 : next };
    if (offset + 1 + len > buf.length) throw new Error('label past end');
    length += len + 1;
    if (length > 255) throw new Error('name too long');
    labels.push(buf.subarray(offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
}

function parseQuery(buf) {
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  const query = { id, flags, opcode: (flags >> 11) & 0xf, rd: (flags >> 8) & 1, question: null, opt: null };
  if (counts[0] !== 1) throw Object.assign(new Error('not one question'), { query });
  let offset = 12;
  const { labels, next } = readName(buf, offset);
  if (next + 4 > buf.length) throw Object.assign(new Error('question past end'), { query });
  query.question = { labels, type: buf.readUInt16BE(next), cls: buf.readUInt16BE(next + 2) };
  offset = next + 4;
  // Answer and authority records (none expected) are skipped; an OPT in the additional section is EDNS.
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    const rr = readName(buf, offset);
    if (rr.next + 10 > buf.length) throw Object.assign(new Error('record past end'), { query });
    const type = buf.readUInt16BE(rr.next);
    const rdlength = buf.readUInt16BE(rr.next + 8);
    if (rr.next + 10 + rdlength > buf.length) throw Object.assign(new Error('rdata past end'), { query });
    if (type === OPT && i >= counts[1] + counts[2]) {
      if (query.opt || rr.labels.length) throw Object.assign(new Error('bad OPT'), { query });
      query.opt = { size: buf.readUInt16BE(rr.next + 2), version: buf[rr.next + 5] };
    }
    offset = rr.next + 10 + rdlength;
  }
  return query;
}

const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };

// A TXT value as character-strings of at most 255 bytes, cut between UTF-8 characters.
function characterStrings(value) {
  const bytes = Buffer.from(value, 'utf8');
  const parts = [];
  let start = 0;
  do {
    let end = Math.min(start + 255, bytes.length);
    while (end < bytes.length && end > start + 1 && (bytes[end] & 0xc0) === 0x80) end--;
    parts.push(Buffer.from([end - start]), bytes.subarray(start, end));
    start = end;
  } while (start < bytes.length);
  return Buffer.concat(parts);
}

function buildResponse(query, rcode, answers, tc) {
  const q = query.question;
  const flags = 0x8000 | (query.opcode << 11) | 0x0400 | (tc ? 0x0200 : 0) | (query.rd << 8) | 0x0080 | (rcode & 0xf);
  const parts = [u16(query.id), u16(flags), u16(q ? 1 : 0), u16(answers.length), u16(0), u16(query.opt ? 1 : 0)];
  if (q) {
    for (const label of q.labels) parts.push(Buffer.from([label.length]), label);
    parts.push(Buffer.from([0]), u16(q.type), u16(q.cls));
  }
  for (const rdata of answers) parts.push(u16(0xc00c), u16(TXT), u16(IN), u32(TTL), u16(rdata.length), rdata);
  // EDNS asked, EDNS answered: our UDP size, the extended RCODE bits, version 0.
  if (query.opt) parts.push(Buffer.from([0]), u16(OPT), u16(EDNS_SIZE), u32((rcode >> 4) << 24), u16(0));
  return Buffer.concat(parts);
}

// The response to one DNS message, or null when it deserves none.
function answer(buf, transport) {
  if (buf.length < 12 || buf[2] & 0x80) return null; // too short for a header, or itself a response
  let query;
  try {
    query = parseQuery(buf);
  } catch (e) {
    const header = e.query ?? { id: buf.readUInt16BE(0), opcode: (buf[2] >> 3) & 0xf, rd: buf[2] & 1, opt: null };
    console.log(`dns ${transport}: malformed query (${e.message}) -> FORMERR`);
    return buildResponse({ ...header, question: null, opt: null }, 1, [], false);
  }
  const q = query.question;
  const name = normalize(q.labels.map((l) => l.toString('latin1')).join('.'));
  const values = records.get(name);
  let rcode = 0;
  let answers = [];
  if (query.opt && query.opt.version !== 0) rcode = 16;
  else if (query.opcode !== 0) rcode = 4;
  else if (refuse || q.cls !== IN) rcode = 5;
  else if (!values) rcode = 3;
  else if (q.type === TXT || q.type === ANY) answers = values.map(characterStrings);
  let response = buildResponse(query, rcode, answers, false);
  const limit = transport === 'udp' ? Math.max(512, Math.min(query.opt?.size ?? 512, 4096)) : 65535;
  if (response.length > limit) response = buildResponse(query, rcode, [], true);
  const tc = response[2] & 0x02 ? ' (truncated)' : '';
  console.log(`dns ${transport}: ${q.type === TXT ? 'TXT' : `type ${q.type}`} ${name || '.'} -> ${RCODES[rcode]} ${answers.length}${tc}`);
  return response;
}

const udp = dgram.createSocket('udp4');
udp.on('message', (msg, peer) => {
  const response = answer(msg, 'udp');
  if (response) udp.send(response, peer.port, peer.address);
});
udp.on('error', (e) => console.error(`dns udp: ${e.message}`));
udp.bind(dnsPort, '127.0.0.1');

net
  .createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.setTimeout(10000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + message.length);
        const response = answer(message, 'tcp');
        if (response) socket.write(Buffer.concat([u16(response.length), response]));
      }
    });
  })
  .listen(dnsPort, '127.0.0.1');

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const send = (res, status, body) => {
  if (body === undefined) return res.writeHead(status).end();
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${httpPort}`);
    const write = req.method === 'PUT' || req.method === 'POST';
    if (url.pathname === '/records' && write) {
      let body;
      try {
        body = await readJson(req);
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      const name = typeof body?.name === 'string' ? normalize(body.name) : '';
      const values = body?.values;
      if (!name || !Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
        return send(res, 400, { error: 'expected {"name": string, "values": [string]}' });
      }
      if (values.reduce((n, v) => n + Buffer.byteLength(v), 0) > 60000) return send(res, 400, { error: 'values too long' });
      records.set(name, [...values]);
      return send(res, 200, { name, values });
    }
    if (url.pathname === '/records' && req.method === 'DELETE') {
      const name = url.searchParams.get('name');
      if (name === null) records.clear();
      else records.delete(normalize(name));
      return send(res, 204);
    }
    if (url.pathname === '/records' && req.method === 'GET') {
      const list = [...records].sort(([a], [b]) => a.localeCompare(b)).map(([name, values]) => ({ name, values }));
      return send(res, 200, list);
    }
    if (url.pathname === '/refuse' && write) {
      try {
        refuse = (await readJson(req))?.refuse === true;
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      return send(res, 200, { refuse });
    }
    if (url.pathname === '/health') return res.writeHead(200).end('ok');
    send(res, 404);
  })
  .listen(httpPort, '127.0.0.1');

console.log(`dns server: udp+tcp 127.0.0.1:${dnsPort}, http 127.0.0.1:${httpPort}`);
