// Memory per client is bounded: what hostile clients make the server hold,
// measured as the server's VmRSS.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  createAgent,
  parseResponses,
  rssKiB,
  sleep,
  startServer,
  uid,
  writeServices,
} from './helpers.mjs';

const MiB = 1024 * 1024;
// Under AddressSanitizer (make test-asan) RSS says nothing about our memory:
// shadow memory and quarantine; the scenarios run, the bounds are not checked.
const SANITIZED = Boolean(process.env.TROUPE_SANITIZED);
const assertRssGrowth = (grew, limit) => {
  if (!SANITIZED) assert.ok(grew < limit, `RSS grew by ${grew.toFixed(1)} MiB`);
};

/** Samples the server's RSS every 20 ms while `work` runs; the peak, in KiB. */
async function peakRss(pid, work) {
  let peak = rssKiB(pid);
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, rssKiB(pid));
      await sleep(20);
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampler;
  }
  return Math.max(peak, rssKiB(pid));
}

/** A client that sends `head`, then `bodyBytes` as fast as the server takes them; resolves with what it got back. */
function uploader(port, head, bodyBytes) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const piece = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let got = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(got);
    };
    sock.on('data', (d) => (got = Buffer.concat([got, d])));
    sock.on('error', done);
    sock.on('close', done);
    const pump = () => {
      while (sent < bodyBytes) {
        sent += piece.length;
        if (!sock.write(piece)) return sock.once('drain', pump);
      }
    };
    sock.on('connect', () => {
      sock.write(head);
      pump();
    });
    const timer = setTimeout(done, 15000);
  });
}

describe('bounded memory per client', () => {
  test('64 clients each sending a 15 MiB body: 413 at once, RSS under 100 MiB above idle', { timeout: 60000 }, async () => {
    const s = await startServer();
    try {
      await sleep(200);
      const idle = rssKiB(s.proc.pid);
      const head =
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${15 * MiB}\r\n\r\n`;
      let answers = [];
      const peak = await peakRss(s.proc.pid, async () => {
        answers = await Promise.all(Array.from({ length: 64 }, () => uploader(s.port, head, 15 * MiB)));
      });
      const grew = (peak - idle) / 1024;
      console.log(`RSS idle ${(idle / 1024).toFixed(1)} MiB, peak ${(peak / 1024).toFixed(1)} MiB (+${grew.toFixed(1)} MiB)`);
      assertRssGrowth(grew, 100);
      const statuses = answers.map((a) => parseResponses(a)[0]?.status);
      // Each got its 413 (a client may miss it only if the kernel reset the connection first).
      assert.ok(statuses.filter((x) => x === 413).length >= 60, JSON.stringify(statuses));
      assert.ok(statuses.every((x) => x === 413 || x === undefined), JSON.stringify(statuses));
      assert.equal((await s.req('GET', '/ping')).status, 200);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('20 stream clients that do not read: RSS under 60 MiB above idle, their turns stored', { timeout: 60000 }, async () => {
    // 30 000 tokens: about 7 MiB of SSE per stream, more than the kernel's
    // socket buffers take (~4 MiB here) plus the 1 MiB cap; the content
    // itself, which is stored, is only ~150 KB.
    const reply = Array.from({ length: 30000 }, (_, i) => `w${i % 1000}`).join(' ');
    const services = writeServices({ big: { type: 'test', model: 'm', reply } });
    const s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory'] });
    try {
      const agent = await createAgent(s, { llm_config_id: 'big', conversation_config: { continuous: false } });
      await sleep(200);
      const idle = rssKiB(s.proc.pid);
      const sids = Array.from({ length: 20 }, () => uid('unread'));
      const socks = [];
      const stored = async (sid) => (await s.req('GET', `/v1/sessions/${sid}`)).json?.message_count === 2;
      const peak = await peakRss(s.proc.pid, async () => {
        for (const sid of sids) {
          const body = JSON.stringify({ model: agent, stream: true, messages: [{ role: 'user', content: 'go' }],
            metadata: { session_id: sid } });
          const sock = net.connect({ port: s.port, host: '127.0.0.1' });
          sock.on('error', () => {});
          sock.on('connect', () => {
            sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
              `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
            sock.pause(); // and never read
          });
          socks.push(sock);
        }
        const deadline = Date.now() + 30000;
        while (Date.now() < deadline && !(await Promise.all(sids.map(stored))).every(Boolean)) await sleep(200);
        await sleep(500);
      });
      const grew = (peak - idle) / 1024;
      console.log(`RSS idle ${(idle / 1024).toFixed(1)} MiB, peak ${(peak / 1024).toFixed(1)} MiB (+${grew.toFixed(1)} MiB)`);
      for (const sid of sids) assert.ok(await stored(sid), `turn of ${sid} stored`);
      assertRssGrowth(grew, 60);
      const cut = s.stderrText().split('\n').filter((l) => l.includes('client does not read its stream'));
      assert.equal(cut.length, 20, 'each client was cut off');
      socks.forEach((c) => c.destroy());
      assert.equal((await s.req('GET', '/ping')).status, 200);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});
