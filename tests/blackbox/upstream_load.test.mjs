// 500 concurrent streamed turns through one Troupe to a fake upstream that
// paces its tokens: every turn completes with its whole text, the upstream
// sees 500 calls at once (no thread or connection limit in between), and the
// server's memory is reported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startFakeUpstream } from './fake_upstream.mjs';
import { createAgent, startServer, streamChat, streamText, uid, writeServices } from './helpers.mjs';

const N = Number(process.env.UPSTREAM_LOAD_N ?? 500); // 1000+ for a manual run
const TOKENS = 30;
const INTERVAL_MS = 100;

let fake;
let s;
before(async () => {
  fake = await startFakeUpstream();
  const services = writeServices({
    up: { type: 'openai', model: 'm', base_url: fake.base, timeout_s: 30 },
  });
  s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'] });
});
after(async () => {
  const e = await s?.stop();
  await fake?.stop();
  assert.equal(e?.code, 0);
});

const rssMiB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
};

test(`${N} concurrent streamed turns, paced tokens`, { timeout: 60000 }, async (t) => {
  const agent = await createAgent(s, {});
  const mark = uid('load');
  const tokens = Array.from({ length: TOKENS }, (_, i) => `w${i} `);
  await fake.plan(mark, [{ tokens, token_interval_ms: INTERVAL_MS }]);
  const rssBefore = rssMiB(s.proc.pid);
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(s.proc.pid))), 100);
  const t0 = Date.now();
  const results = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      streamChat(
        s,
        { model: agent, messages: [{ role: 'user', content: `${mark} #${i}` }], metadata: { session_id: `${mark}-${i}` } },
        { timeoutMs: 50000 },
      ),
    ),
  );
  const took = Date.now() - t0;
  clearInterval(sampler);
  const failed = results.filter((r) => r.status !== 200 || !r.done || streamText(r.chunks) !== tokens.join(''));
  assert.equal(failed.length, 0, `${failed.length} failed, e.g. ${failed[0]?.raw?.slice(0, 400)}`);
  const reqs = await fake.requests(mark);
  assert.equal(reqs.length, N, 'one upstream call per turn, no retries');
  // How many upstream calls were open at once, as the upstream saw them.
  const edges = reqs.flatMap((r) => [[r.received_at, 1], [r.ended_at, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peakOpen = 0;
  for (const [, d] of edges) peakOpen = Math.max(peakOpen, (open += d));
  assert.ok(peakOpen >= N * 0.9, `only ${peakOpen} upstream calls were open at once`);
  const ports = new Set(reqs.map((r) => r.remote_port)).size;
  t.diagnostic(`${N} streams of ${TOKENS} tokens every ${INTERVAL_MS} ms: ${took} ms wall, ` +
    `${peakOpen} upstream calls open at once on ${ports} connections, server RSS ${rssBefore.toFixed(1)} MiB before, ` +
    `${peak.toFixed(1)} MiB peak, ${rssMiB(s.proc.pid).toFixed(1)} MiB after`);
  // Streams of ~1 s each, all at once: far below N × 1 s if nothing serializes them.
  assert.ok(took < 15000, `took ${took} ms`);
});
