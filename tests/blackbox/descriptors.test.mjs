// Descriptor exhaustion and the connection cap: the server keeps accepting
// once descriptors are free again, whatever happened before.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { sleep, startServer } from './helpers.mjs';

const T = { timeout: 60000 };

/** n idle TCP connections (connected or waiting in the backlog). */
async function openIdle(port, n) {
  const socks = Array.from({ length: n }, () => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    return s;
  });
  await sleep(1000);
  return socks;
}

/** A raw GET /ping on its own connection; `answered` resolves with the status line. */
function rawPing(port) {
  const sock = net.connect({ port, host: '127.0.0.1' });
  sock.on('error', () => {});
  let got = '';
  const answered = new Promise((resolve) => {
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) resolve(got.slice(0, got.indexOf('\r\n')));
    });
  });
  sock.on('connect', () => sock.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n'));
  return { sock, answered, get responded() { return got.length > 0; } };
}

/** Polls /ping on fresh connections until it answers; the time it took. */
async function pingAnswers(server, withinMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < withinMs) {
    const p = rawPing(server.port);
    const line = await Promise.race([p.answered, sleep(500).then(() => null)]);
    p.sock.destroy();
    if (line) {
      assert.match(line, /^HTTP\/1\.1 200/);
      return Date.now() - t0;
    }
  }
  assert.fail(`/ping did not answer within ${withinMs} ms`);
}

const openFiles = (pid) => {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return line.trim().split(/\s+/).slice(3, 5).map(Number);
};

describe('descriptor exhaustion', () => {
  test('the soft descriptor limit is raised to the hard one at start-up', T, async () => {
    const s = await startServer({ maxFiles: [64, 256] });
    try {
      assert.deepEqual(openFiles(s.proc.pid), [256, 256]);
      assert.match(s.stderrText(), /at most 112 connections, 256 descriptors/);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('ulimit -n 64: 200 connections opened and closed, then /ping answers', T, async () => {
    const s = await startServer({ maxFiles: 64 });
    try {
      const socks = await openIdle(s.port, 200);
      socks.forEach((c) => c.destroy());
      await pingAnswers(s, 5000);
      // And again: the server was not left in a worse state.
      (await openIdle(s.port, 200)).forEach((c) => c.destroy());
      await pingAnswers(s, 5000);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('--max-connections above the descriptor limit: failed accepts are retried once descriptors are free', T, async () => {
    const s = await startServer({ maxFiles: 64, args: ['--max-connections=1000'] });
    try {
      const socks = await openIdle(s.port, 200);
      await sleep(800); // the watchdog sees the stalled accepts
      socks.forEach((c) => c.destroy());
      await pingAnswers(s, 5000);
      assert.match(s.stderrText(), /accept\(\) failed with connections waiting/);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('--max-connections lower than the load: the excess waits, is served once connections close, logged once', T, async () => {
    const cap = 8;
    const s = await startServer({ args: [`--max-connections=${cap}`] });
    try {
      const pings = Array.from({ length: cap + 6 }, () => rawPing(s.port));
      await sleep(1000);
      const served = pings.filter((p) => p.responded);
      const waiting = pings.filter((p) => !p.responded);
      assert.ok(served.length <= cap, `${served.length} served with a cap of ${cap}`);
      assert.ok(waiting.length >= 6, `${waiting.length} waiting`);
      served.forEach((p) => p.sock.destroy());
      // Each waiting request is answered once a slot is free.
      const lines = await Promise.race([
        Promise.all(waiting.slice(0, cap - 1).map((p) => p.answered)),
        sleep(5000).then(() => null),
      ]);
      assert.ok(lines, 'the waiting connections were served');
      lines.forEach((l) => assert.match(l, /^HTTP\/1\.1 200/));
      pings.forEach((p) => p.sock.destroy());
      await pingAnswers(s, 5000);
      const logged = s.stderrText().split('\n').filter((l) => l.includes('connection limit reached'));
      assert.equal(logged.length, 1, logged.join('\n'));
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});
