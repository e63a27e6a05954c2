// GET /metrics scraped by a real Prometheus (Debian's `prometheus`, started
// here on a free port with a temporary configuration), queried over its HTTP
// API after known turns; `promtool check metrics` on the exposition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chat, freePort, sleep, startServer, streamChat, user } from './helpers.mjs';

const T = { timeout: 90000 };
const SCRAPE_TOKEN = 'scrape-me';
const TURNS = 3;
const STREAMS = 2;

let s;
let prom;
let promUrl;
let dir;
let limited; // a key with rpm 1 that was refused once

async function startPrometheus(target) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-prom-'));
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: troupe',
      '    scrape_interval: 1s',
      '    scrape_timeout: 1s',
      '    authorization:',
      `      credentials: ${SCRAPE_TOKEN}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  let stderr = '';
  prom = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prom.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30000;
  for (;;) {
    assert.equal(prom.exitCode, null, `prometheus exited: ${stderr}`);
    try {
      if ((await fetch(`${promUrl}/-/ready`)).status === 200) return;
    } catch {
      /* not up yet */
    }
    assert.ok(Date.now() < deadline, `prometheus did not become ready: ${stderr}`);
    await sleep(100);
  }
}

/** The value of an instant query's single sample, or undefined. */
async function sample(query) {
  const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = await r.json();
  assert.equal(body.status, 'success', JSON.stringify(body));
  const [first] = body.data.result;
  return first ? Number(first.value[1]) : undefined;
}

before(async () => {
  s = await startServer({ token: 'tok', args: [`--metrics-token=${SCRAPE_TOKEN}`] });
  for (let i = 0; i < TURNS; i++)
    assert.equal((await chat(s, { model: 'demo', messages: [user(`turn ${i}`)] })).status, 200);
  for (let i = 0; i < STREAMS; i++) assert.ok((await streamChat(s, { model: 'demo', messages: [user('s')] }, { token: 'tok' })).done);
  limited = (await s.req('POST', '/v1/keys', { body: { user_id: 'metered', rpm: 1 } })).json;
  assert.equal((await chat(s, { model: 'demo', messages: [user('one')] }, { token: limited.key })).status, 200);
  assert.equal((await chat(s, { model: 'demo', messages: [user('two')] }, { token: limited.key })).status, 429);
  await startPrometheus(`127.0.0.1:${s.port}`);
});

after(async () => {
  if (prom && prom.exitCode === null) {
    prom.kill('SIGTERM');
    await once(prom, 'exit');
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  assert.equal((await s.stop()).code, 0);
});

test('promtool accepts the exposition', T, async () => {
  const r = await s.req('GET', '/metrics', { token: SCRAPE_TOKEN });
  assert.equal(r.status, 200);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  for (const name of [
    'troupe_http_requests_total',
    'troupe_turn_queue_wait_seconds',
    'troupe_turn_time_to_first_token_seconds',
    'troupe_turn_duration_seconds',
    'troupe_turns_in_flight',
    'troupe_sessions',
    'troupe_provider_calls_total',
    'troupe_provider_errors_total',
    'troupe_provider_retries_total',
    'troupe_provider_fallbacks_total',
    'troupe_storage_commit_duration_seconds',
    'troupe_storage_commit_turns',
    'troupe_rate_limit_rejections_total',
    'process_resident_memory_bytes',
    'troupe_http_open_connections',
  ])
    assert.match(r.text, new RegExp(`^# TYPE ${name} `, 'm'), name);
});

test('Prometheus scrapes Troupe and counts the known turns', T, async () => {
  const n = TURNS + STREAMS + 1; // and the limited key's one admitted turn
  const want = {
    'up{job="troupe"}': 1,
    'troupe_http_requests_total{method="POST",route="/v1/chat/completions",status="429"}': 1,
    [`troupe_rate_limit_rejections_total{key_id="${limited.id}",limit="requests"}`]: 1,
    'troupe_http_requests_total{method="POST",route="/v1/chat/completions",status="200"}': n,
    troupe_turn_duration_seconds_count: n,
    'troupe_turn_duration_seconds_bucket{le="+Inf"}': n,
    troupe_turn_queue_wait_seconds_count: n,
    troupe_turn_time_to_first_token_seconds_count: STREAMS,
    'troupe_storage_commit_turns_sum': n,
    'troupe_provider_calls_total{provider="test"}': n,
    troupe_turns_in_flight: 0,
    'troupe_sessions{state="live"}': n,
  };
  const deadline = Date.now() + 60000;
  let got = {};
  for (;;) {
    got = {};
    for (const q of Object.keys(want)) got[q] = await sample(q);
    if (Object.keys(want).every((q) => got[q] === want[q])) break;
    assert.ok(Date.now() < deadline, `after 60 s Prometheus has ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    await sleep(500);
  }
  const median = await sample('histogram_quantile(0.5, troupe_turn_duration_seconds_bucket)');
  assert.ok(median > 0 && median < 5, `median turn ${median}s`);
  assert.ok((await sample('process_resident_memory_bytes{job="troupe"}')) > 1 << 20);
});
