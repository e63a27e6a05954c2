// A fake OpenAI-compatible upstream for the black-box tests, run as its own
// process (plain node:http). `node fake_upstream.mjs` serves on a free
// loopback port and prints {"port":N}; startFakeUpstream() spawns it and
// returns a client for its control endpoints.
//
// POST /v1/chat/completions answers like OpenAI (JSON, or SSE with
// stream:true). By default the reply is "Echo: <last user message>". A test
// steers it with plans: POST /_control/plan {match, steps:[...]} applies to
// requests whose raw body contains `match`; each request takes the next step
// (the last one repeats). A step may hold:
//   status, error (message of the error body), body (raw body), headers {}
//   delay_ms (before the head), hang (never answer)
//   content, tokens [...], first_token_ms, token_interval_ms, finish_reason,
//   usage {prompt_tokens, completion_tokens}, no_done (no [DONE]),
//   drop_after (destroy the socket after N tokens),
//   malformed: "json" | "sse" (garbage body / a garbage event after the first token),
//   json_for_stream (answer a stream request with a whole JSON body)
// GET /_control/requests lists every request with its headers, body, and
// whether the client closed the connection before the answer ended.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wordsOf = (t) => (String(t).trim() === '' ? 0 : String(t).trim().split(/\s+/).length);
const splitTokens = (t) => String(t).match(/\S+\s*|\s+/g) ?? [];

function serve() {
  const plans = []; // {match, steps, next}
  const requests = [];
  let seq = 0;

  const planFor = (raw) => {
    for (let i = plans.length - 1; i >= 0; i--) {
      const p = plans[i];
      if (raw.includes(p.match)) {
        const step = p.steps[Math.min(p.next, p.steps.length - 1)];
        p.next += 1;
        return { match: p.match, step };
      }
    }
    return { match: null, step: {} };
  };

  const json = (res, status, obj) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };

  async function completion(req, res, raw) {
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const { match, step } = planFor(raw);
    const rec = {
      seq: ++seq,
      match,
      method: req.method,
      url: req.url,
      headers: req.headers,
      remote_port: req.socket.remotePort, // the same port again: a reused connection
      body,
      received_at: Date.now(),
      closed_early: false,
      closed_at: null,
      ended_at: null,
    };
    requests.push(rec);
    let gone = false;
    res.on('close', () => {
      rec.closed_at = Date.now();
      if (!res.writableEnded) {
        rec.closed_early = true;
        gone = true;
      }
    });
    const end = (data) => {
      res.end(data);
      rec.ended_at = Date.now();
    };

    if (step.hang) return; // until the client gives up
    if (step.delay_ms) await sleep(step.delay_ms);
    if (gone) return;
    const status = step.status ?? 200;
    const headers = { ...(step.headers ?? {}) };
    if (status !== 200 || step.body !== undefined || step.malformed === 'json') {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      if (step.body !== undefined) return end(step.body);
      if (step.malformed === 'json') return end('{"choices":[{"message":');
      return end(JSON.stringify({ error: { message: step.error ?? `fake error ${status}`, type: 'fake', code: null } }));
    }

    const msgs = Array.isArray(body?.messages) ? body.messages : [];
    const lastUser = [...msgs].reverse().find((m) => m.role === 'user');
    const content = step.content ?? `Echo: ${lastUser?.content ?? ''}`;
    const tokens = step.tokens ?? splitTokens(content);
    const finish = step.finish_reason ?? 'stop';
    const usage = step.usage ?? {
      prompt_tokens: msgs.reduce((n, m) => n + wordsOf(m.content ?? ''), 0),
      completion_tokens: tokens.length,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `chatcmpl-fake-${rec.seq}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body?.model ?? 'fake';

    if (!body?.stream || step.json_for_stream) {
      if (step.first_token_ms) await sleep(step.first_token_ms);
      if (gone) return;
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      return end(JSON.stringify({
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: finish }],
        usage,
      }));
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    res.flushHeaders();
    const chunk = (delta, finishReason = null, extra = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model,
        choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`;
    // Cuts the connection once what was written is on the wire.
    const drop = async () => {
      await sleep(50);
      res.socket.destroy();
      rec.dropped = true;
    };
    res.write(': fake upstream\n\n');
    if (step.first_token_ms) await sleep(step.first_token_ms);
    if (gone) return;
    res.write(chunk({ role: 'assistant', content: '' }));
    for (let i = 0; i < tokens.length; i++) {
      if (i > 0 && step.token_interval_ms) await sleep(step.token_interval_ms);
      if (gone) return;
      if (step.drop_after !== undefined && i === step.drop_after) return drop();
      res.write(chunk({ content: tokens[i] }));
      if (step.malformed === 'sse' && i === 0) res.write('data: {"choices":[{"delta":\n\n');
    }
    if (step.drop_after !== undefined && step.drop_after >= tokens.length) return drop();
    res.write(chunk({}, finish));
    if (body?.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    }
    end(step.no_done ? '' : 'data: [DONE]\n\n');
  }

  const server = http.createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      const path = req.url.split('?')[0];
      if (req.method === 'POST' && path === '/v1/chat/completions') {
        completion(req, res, raw).catch((e) => {
          if (!res.headersSent) json(res, 500, { error: { message: String(e) } });
          else res.destroy();
        });
      } else if (req.method === 'POST' && path === '/_control/plan') {
        const { match, steps } = JSON.parse(raw);
        plans.push({ match, steps, next: 0 });
        json(res, 200, { ok: true });
      } else if (req.method === 'GET' && path === '/_control/requests') {
        json(res, 200, requests);
      } else if (req.method === 'POST' && path === '/_control/reset') {
        plans.length = 0;
        requests.length = 0;
        json(res, 200, { ok: true });
      } else {
        json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
      }
    });
  });
  server.keepAliveTimeout = 30000;
  server.maxHeadersCount = 0;
  server.listen(Number(process.env.FAKE_PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

/**
 * Spawns the fake in its own process. Returns
 * {port, base (for base_url), plan(match, steps), requests(match?), reset(), stop()}.
 */
export async function startFakeUpstream() {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: proc.stdout });
  const [first] = await Promise.race([
    once(lines, 'line'),
    once(proc, 'exit').then(() => {
      throw new Error('the fake upstream exited during start-up');
    }),
  ]);
  const { port } = JSON.parse(first);
  const root = `http://127.0.0.1:${port}`;
  const control = async (method, path, body) => {
    const r = await fetch(root + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return r.json();
  };
  return {
    port,
    base: `${root}/v1`,
    plan: (match, steps) => control('POST', '/_control/plan', { match, steps }),
    requests: async (match) => {
      const all = await control('GET', '/_control/requests');
      return match === undefined ? all : all.filter((r) => r.match === match);
    },
    reset: () => control('POST', '/_control/reset'),
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve();
