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
//   tool_calls [{id?, name, arguments}] (answer with tool calls: content null,
//     finish_reason "tool_calls"; streamed as OpenAI does, arguments in pieces),
//   refusal (a refusal instead of content), annotations [], n choices as asked
// Like OpenAI it rejects (400, OpenAI's error body) what OpenAI rejects:
// unknown message fields, a tool message that answers no preceding tool
// call, tool calls left without results, malformed tools and content parts.
// With `logprobs: true` it answers logprobs per token; usage carries
// OpenAI's token details and every reply a system_fingerprint.
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
// The text of a content: a string, or its text parts joined.
const textOf = (c) =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.filter((p) => p?.type === 'text').map((p) => p.text).join('\n') : '';

// Which message fields OpenAI accepts, per role.
const MESSAGE_FIELDS = {
  system: ['role', 'content', 'name'],
  developer: ['role', 'content', 'name'],
  user: ['role', 'content', 'name'],
  assistant: ['role', 'content', 'name', 'refusal', 'tool_calls', 'function_call', 'audio'],
  tool: ['role', 'content', 'tool_call_id', 'name'], // LangGraph names its results; OpenAI accepts it
  function: ['role', 'content', 'name'],
};
const PART_TYPES = {
  user: ['text', 'image_url', 'input_audio', 'file'],
  system: ['text'],
  developer: ['text'],
  assistant: ['text', 'refusal'],
  tool: ['text'],
};

// What OpenAI would answer 400 for, as its error message and param; null when valid.
export function openaiRejects(body) {
  const bad = (message, param = null) => ({ message, param });
  if (!body || typeof body !== 'object') return bad('We could not parse the JSON body of your request.');
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return bad("'messages' must be a non-empty array", 'messages');
  let pending = null; // ids of the last assistant tool calls still to be answered
  for (const [i, m] of body.messages.entries()) {
    const at = `messages[${i}]`;
    if (!m || typeof m !== 'object' || !MESSAGE_FIELDS[m.role]) return bad(`Invalid value for '${at}.role'.`, `${at}.role`);
    for (const k of Object.keys(m))
      if (!MESSAGE_FIELDS[m.role].includes(k))
        return bad(`Additional properties are not allowed ('${k}' was unexpected) - '${at}'`, `${at}.${k}`);
    if (Array.isArray(m.content)) {
      for (const [j, p] of m.content.entries())
        if (!PART_TYPES[m.role]?.includes(p?.type))
          return bad(`Invalid content part type '${p?.type}' for role '${m.role}'.`, `${at}.content[${j}].type`);
    } else if (m.content !== null && m.content !== undefined && typeof m.content !== 'string') {
      return bad(`Invalid type for '${at}.content'.`, `${at}.content`);
    } else if ((m.content === null || m.content === undefined) && !(m.role === 'assistant')) {
      return bad(`Missing required parameter: '${at}.content'.`, `${at}.content`);
    }
    if (m.role === 'tool') {
      if (!pending || !pending.has(m.tool_call_id))
        return bad("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `${at}.role`);
      pending.delete(m.tool_call_id);
      continue;
    }
    if (pending && pending.size > 0)
      return bad(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`, `${at}.role`);
    pending = null;
    if (m.role === 'assistant' && m.tool_calls !== undefined) {
      if (!Array.isArray(m.tool_calls)) return bad(`Invalid type for '${at}.tool_calls'.`, `${at}.tool_calls`);
      for (const [j, c] of m.tool_calls.entries())
        if (typeof c?.id !== 'string' || c?.type !== 'function' || typeof c?.function?.name !== 'string' || typeof c?.function?.arguments !== 'string')
          return bad(`Invalid value for '${at}.tool_calls[${j}]'.`, `${at}.tool_calls[${j}]`);
      pending = new Set(m.tool_calls.map((c) => c.id));
    }
  }
  if (pending && pending.size > 0)
    return bad(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`, 'messages');
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return bad("Invalid type for 'tools'.", 'tools');
    if (body.tools.length === 0)
      return bad("Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'tools');
    for (const [i, t] of body.tools.entries())
      if (t?.type !== 'function' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t?.function?.name ?? ''))
        return bad(`Invalid value for 'tools[${i}]'.`, `tools[${i}]`);
  }
  if ((body.tool_choice !== undefined || body.parallel_tool_calls !== undefined) && !body.tools?.length)
    return bad("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
  if (body.functions !== undefined) return bad("Unrecognized request argument supplied: functions (Troupe sends tools)", 'functions');
  return null;
}

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
    const rejected = step.status === undefined && step.body === undefined ? openaiRejects(body) : null;
    if (rejected) {
      rec.rejected = rejected;
      res.writeHead(400, { 'content-type': 'application/json' });
      return end(JSON.stringify({ error: { message: rejected.message, type: 'invalid_request_error', param: rejected.param, code: null } }));
    }
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
    const content = step.content ?? `Echo: ${textOf(lastUser?.content)}`;
    const calls = (step.tool_calls ?? []).map((c, i) => ({
      id: c.id ?? `call_fake_${rec.seq}_${i}`,
      type: 'function',
      function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}) },
    }));
    const refusal = step.refusal ?? null;
    const tokens = calls.length || refusal ? [] : step.tokens ?? splitTokens(content);
    const finish = step.finish_reason ?? (calls.length ? 'tool_calls' : 'stop');
    const n = Number.isInteger(body?.n) && body.n > 1 ? body.n : 1;
    const usage = step.usage ?? {
      prompt_tokens: msgs.reduce((k, m) => k + wordsOf(textOf(m.content)), 0),
      completion_tokens: tokens.length * n,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `chatcmpl-fake-${rec.seq}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body?.model ?? 'fake';
    const system_fingerprint = 'fp_fake';
    const logprob = (t) => ({ token: t, logprob: -0.5, bytes: [...Buffer.from(t)], top_logprobs: [] });
    const logprobsOf = (ts) => (body?.logprobs ? { content: ts.map(logprob), refusal: null } : null);

    if (!body?.stream || step.json_for_stream) {
      if (step.first_token_ms) await sleep(step.first_token_ms);
      if (gone) return;
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      const message = { role: 'assistant', content: calls.length || refusal ? null : tokens.join(''), refusal };
      if (calls.length) message.tool_calls = calls;
      if (step.annotations) message.annotations = step.annotations;
      return end(JSON.stringify({
        id, object: 'chat.completion', created, model,
        choices: Array.from({ length: n }, (_, index) => ({ index, message, logprobs: logprobsOf(tokens), finish_reason: finish })),
        usage, service_tier: 'default', system_fingerprint,
      }));
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    res.flushHeaders();
    const chunk = (delta, finishReason = null, extra = {}, index = 0, logprobs = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint,
        choices: [{ index, delta, logprobs, finish_reason: finishReason }], ...extra })}\n\n`;
    // Cuts the connection once what was written is on the wire.
    const drop = async () => {
      await sleep(50);
      res.socket.destroy();
      rec.dropped = true;
    };
    res.write(': fake upstream\n\n');
    if (step.first_token_ms) await sleep(step.first_token_ms);
    if (gone) return;
    for (let c = 0; c < n; c++) {
      res.write(chunk({ role: 'assistant', content: calls.length ? null : '', refusal: null }, null, {}, c));
      for (let i = 0; i < tokens.length; i++) {
        if (i > 0 && step.token_interval_ms) await sleep(step.token_interval_ms);
        if (gone) return;
        if (step.drop_after !== undefined && i === step.drop_after) return drop();
        res.write(chunk({ content: tokens[i] }, null, {}, c, logprobsOf([tokens[i]])));
        if (step.malformed === 'sse' && i === 0) res.write('data: {"choices":[{"delta":\n\n');
      }
      if (refusal) for (const piece of splitTokens(refusal)) res.write(chunk({ refusal: piece }, null, {}, c));
      // Tool calls as OpenAI streams them: id, type and name first, then the arguments in pieces.
      for (const [k, call] of calls.entries()) {
        res.write(chunk({ tool_calls: [{ index: k, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null, {}, c));
        const args = call.function.arguments;
        const piece = Math.max(1, Math.ceil(args.length / 3));
        for (let at = 0; at < args.length; at += piece) {
          if (step.token_interval_ms) await sleep(step.token_interval_ms);
          if (gone) return;
          res.write(chunk({ tool_calls: [{ index: k, function: { arguments: args.slice(at, at + piece) } }] }, null, {}, c));
        }
      }
    }
    if (step.drop_after !== undefined && step.drop_after >= tokens.length) return drop();
    for (let c = 0; c < n; c++) res.write(chunk({}, finish, {}, c));
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
