// The agent's own tools: built-in toolsets and real MCP servers from npm
// (server-filesystem, server-everything over stdio and Streamable HTTP),
// driven by the scripted `test` provider and by the fake OpenAI upstream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { startFakeUpstream } from './fake_upstream.mjs';
import {
  REPO_ROOT,
  chat,
  createAgent,
  freePort,
  parseSSE,
  sleep,
  startServer,
  streamChat,
  user,
  writeTemp,
} from './helpers.mjs';

const T = { timeout: 60000 };
const MCP = path.join(REPO_ROOT, 'conf/mcp/node_modules/@modelcontextprotocol');
const EVERYTHING = path.join(MCP, 'server-everything/dist/index.js');
const FILESYSTEM = path.join(MCP, 'server-filesystem/dist/index.js');
const SDK_SERVER = path.join(REPO_ROOT, 'tests/blackbox/mcp_test_server.mjs');

// A directory whose path marks the MCP servers of this file (to find their processes).
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-tools-'));
const files = path.join(work, 'files');
fs.mkdirSync(files);
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

/** Pids of live processes whose command line contains `marker`. */
function pidsOf(marker) {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)
      .filter((p) => p !== process.pid);
  } catch {
    return [];
  }
}

async function waitFor(cond, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const script = (calls, extra = {}) => ({
  type: 'test',
  model: 'm',
  tool_calls: calls.map(([name, args]) => ({ name, arguments: JSON.stringify(args) })),
  tool_result_reply: 'Results: {results}',
  ...extra,
});

/** Streamed chunks' troupe_tool fields, in order. */
const toolEvents = (chunks) => chunks.filter((c) => c.troupe_tool).map((c) => c.troupe_tool);

describe('tools', () => {
  let s;
  let up;
  let httpMcp;
  let httpPort;
  const marker = work; // in every stdio server's argv
  const main = `stdio ${work}/m$`; // the 'everything' toolset's server only

  let web;
  before(async () => {
    // A web server for fetch_url: a page, a big page, an image, one that never answers.
    web = http.createServer((req, res) => {
      if (req.url === '/page') return res.end('hello fetch');
      if (req.url === '/big') return res.end('x'.repeat(2 << 20));
      if (req.url === '/image') {
        res.setHeader('content-type', 'image/png');
        return res.end(Buffer.alloc(10));
      }
    });
    await new Promise((r) => web.listen(0, '127.0.0.1', r));
    const site = `http://127.0.0.1:${web.address().port}`;
    up = await startFakeUpstream();
    httpPort = await freePort();
    httpMcp = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
      env: { ...process.env, PORT: String(httpPort) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let ready = '';
    httpMcp.stderr.on('data', (d) => (ready += d));
    await waitFor(() => ready.includes('listening'), 15000, 'the HTTP MCP server');
    const services = writeTemp('services.json', {
      llm: {
        providers: {
          calc: script([['calculator', { expression: '2 + 3 * 4' }]]),
          clock: script([['current_time', { timezone: 'Europe/Paris' }]]),
          write: script([['write_file', { path: path.join(files, 'note.txt'), content: 'written by an agent' }]]),
          read: script([['read_text_file', { path: path.join(files, 'note.txt') }]]),
          echo: script([['echo', { message: 'hello mcp' }]]),
          add: script([['get-sum', { a: 2, b: 40 }]]),
          bad_sum: script([['get-sum', { a: 'two', b: 40 }]]),
          slow: script([['trigger-long-running-operation', { duration: 3, steps: 1 }]]),
          long: script([['trigger-long-running-operation', { duration: 16, steps: 2 }]]),
          twice: script([
            ['trigger-long-running-operation', { duration: 1, steps: 1 }],
            ['trigger-long-running-operation', { duration: 1, steps: 1 }],
          ]),
          fetch_page: script([['fetch_url', { url: `${site}/page` }]]),
          fetch_big: script([['fetch_url', { url: `${site}/big` }]]),
          fetch_image: script([['fetch_url', { url: `${site}/image` }]]),
          fetch_hang: script([['fetch_url', { url: `${site}/hang` }]]),
          fetch_outside: script([['fetch_url', { url: 'http://127.0.0.1:1/secret' }]]),
          ping_me: script([['ping_me', {}]]),
          grow: script([['grow', {}]]),
          late: script([['late', {}]]),
          wait_long: script([['wait', { ms: 10000 }]]),
          invalid: { type: 'test', model: 'm', tool_calls: [{ name: 'calculator', arguments: '{not json' }] },
          up: { type: 'openai', model: 'gpt-x', base_url: up.base, api_key: 'k', timeout_s: 20 },
        },
        default_provider: 'calc',
      },
      toolsets: {
        basics: { type: 'builtin', tools: ['current_time', 'calculator'] },
        web: { type: 'builtin', tools: ['fetch_url'], fetch_allow: [`${site}/`], timeout_s: 1 },
        fs: { type: 'mcp', transport: 'stdio', command: 'node', args: [FILESYSTEM, files] },
        everything: { type: 'mcp', transport: 'stdio', command: 'node', args: [EVERYTHING, 'stdio', `${work}/m`], timeout_s: 20 },
        quick: { type: 'mcp', transport: 'stdio', command: 'node', args: [EVERYTHING, 'stdio', `${work}/q`], timeout_s: 1 },
        sdk: { type: 'mcp', transport: 'stdio', command: 'node', args: [SDK_SERVER, `${work}/sdk`], timeout_s: 20 },
        sdk_quick: { type: 'mcp', transport: 'stdio', command: 'node', args: [SDK_SERVER, `${work}/sdkq`], timeout_s: 1 },
        remote_quick: { type: 'mcp', transport: 'http', url: `http://127.0.0.1:${httpPort}/mcp`, timeout_s: 1 },
        remote: { type: 'mcp', transport: 'http', url: `http://127.0.0.1:${httpPort}/mcp`, timeout_s: 20 },
      },
    });
    s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=info'] });
  });

  after(async () => {
    const e = await s?.stop();
    assert.equal(e?.code, 0, s?.stderrText().slice(-3000));
    // No MCP server outlives Troupe's SIGTERM.
    await waitFor(() => pidsOf(marker).length === 0, 5000, 'the stdio MCP servers to exit');
    httpMcp?.kill('SIGTERM');
    web?.closeAllConnections();
    web?.close();
    await up?.stop();
  });

  const agent = (llm, toolsets, extra = {}) => createAgent(s, { llm_config_id: llm, toolsets, ...extra });

  test('an agent naming an unknown toolset is refused with 400', T, async () => {
    const r = await s.req('POST', '/v1/agents', {
      body: { name: 'x', template_id: 'chat', toolsets: ['basics', 'nope'] },
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.param, 'toolsets[1]');
  });

  test('a built-in tool runs in the loop; its call and result are stored and seen by the next turn', T, async () => {
    const id = await agent('calc', ['basics']);
    const r = await chat(s, { model: id, messages: [user('what is 2 + 3 * 4?')] });
    assert.equal(r.status, 200, r.text);
    const c = r.json.choices[0];
    assert.equal(c.message.content, 'Results: 14');
    assert.equal(c.finish_reason, 'stop');
    const [call] = r.json.metadata.tool_calls;
    assert.equal(call.name, 'calculator');
    assert.equal(call.status, 'done');
    const sid = r.json.metadata.session_id;
    const sess = await s.req('GET', `/v1/sessions/${sid}`);
    const roles = sess.json.messages.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'tool', 'assistant']);
    assert.equal(sess.json.messages[1].tool_calls[0].id, call.call_id);
    assert.equal(sess.json.messages[2].tool_call_id, call.call_id);
    assert.equal(sess.json.messages[2].content, '14');
    // The next turn's history window holds the calls (the provider quotes the last tool result only
    // when a tool result is the last message, so it answers the new question with a new call).
    const again = await chat(s, { model: id, messages: [user('again')], metadata: { session_id: sid } });
    assert.equal(again.status, 200, again.text);
    const after2 = await s.req('GET', `/v1/sessions/${sid}`);
    assert.equal(after2.json.message_count, 8);
  });

  test('current_time answers for an IANA zone', T, async () => {
    const id = await agent('clock', ['basics']);
    const r = await chat(s, { model: id, messages: [user('time?')] });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.choices[0].message.content, /Europe\/Paris/);
    assert.match(r.json.choices[0].message.content, /\d{4}-\d{2}-\d{2}/);
  });

  test('a stream shows tool activity as troupe_tool chunks, then the answer; no agent tool call fragments', T, async () => {
    const id = await agent('calc', ['basics']);
    const r = await streamChat(s, { model: id, stream: true, messages: [user('compute')] });
    assert.equal(r.status, 200);
    const tools = toolEvents(r.chunks);
    assert.deepEqual(tools.map((t) => t.status), ['running', 'done']);
    assert.equal(tools[0].name, 'calculator');
    for (const c of r.chunks) assert.equal(c.choices?.[0]?.delta?.tool_calls, undefined);
    const text = r.chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'Results: 14');
    assert.ok(r.done);
  });

  test('the official openai client streams a turn with tool activity without error', T, async () => {
    const id = await agent('calc', ['basics']);
    const client = new OpenAI({ baseURL: `${s.base}/v1`, apiKey: 'none' });
    const stream = await client.chat.completions.create({ model: id, stream: true, messages: [user('compute')] });
    let text = '';
    let finish;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'Results: 14');
    assert.equal(finish, 'stop');
    const whole = await client.chat.completions.create({ model: id, messages: [user('compute')] });
    assert.equal(whole.choices[0].message.content, 'Results: 14');
  });

  test('fetch_url: text under an allowed prefix; others, binaries and slow pages are tool errors; big pages cut', T, async () => {
    const run = async (llm) => (await chat(s, { model: await agent(llm, ['web']), messages: [user('fetch')] })).json;
    const page = await run('fetch_page');
    assert.equal(page.choices[0].message.content, 'Results: hello fetch');
    const outside = await run('fetch_outside');
    assert.equal(outside.metadata.tool_calls[0].status, 'error');
    assert.match(outside.choices[0].message.content, /not under an allowed prefix/);
    const image = await run('fetch_image');
    assert.match(image.choices[0].message.content, /not a text document/);
    const big = await run('fetch_big');
    assert.match(big.choices[0].message.content, /cut/);
    assert.ok(big.choices[0].message.content.length < 100 << 10, 'cut to max_tool_result_bytes');
    const t0 = Date.now();
    const hang = await run('fetch_hang');
    assert.equal(hang.metadata.tool_calls[0].status, 'error');
    assert.ok(Date.now() - t0 < 5000);
  });

  test('a builtin fetch_url without fetch_allow is refused at start-up', T, async () => {
    const services = writeTemp('services.json', {
      llm: { providers: { t: { type: 'test', model: 'm' } }, default_provider: 't' },
      toolsets: { web: { type: 'builtin', tools: ['fetch_url'] } },
    });
    await assert.rejects(startServer({ baseArgs: [`--services=${services}`, '--storage=memory'] }), /fetch_allow/);
  });

  test('invalid JSON arguments are an error result the model sees, not a failed turn', T, async () => {
    const id = await agent('invalid', ['basics']);
    const r = await chat(s, { model: id, messages: [user('x')] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.tool_calls[0].status, 'error');
    assert.match(r.json.choices[0].message.content, /Error: the arguments are not valid JSON/);
  });

  test('filesystem MCP server: the agent writes a file that really exists, and reads it back', T, async () => {
    const w = await chat(s, { model: await agent('write', ['fs']), messages: [user('write')] });
    assert.equal(w.status, 200, w.text);
    assert.equal(w.json.metadata.tool_calls[0].status, 'done', w.text);
    assert.equal(fs.readFileSync(path.join(files, 'note.txt'), 'utf8'), 'written by an agent');
    const r = await chat(s, { model: await agent('read', ['fs']), messages: [user('read')] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Results: written by an agent');
  });

  for (const [name, toolset] of [['stdio', 'everything'], ['Streamable HTTP', 'remote']]) {
    test(`everything over ${name}: echo, get-sum, an error result`, T, async () => {
      const e = await chat(s, { model: await agent('echo', [toolset]), messages: [user('echo')] });
      assert.equal(e.status, 200, e.text);
      assert.equal(e.json.choices[0].message.content, 'Results: Echo: hello mcp');
      const a = await chat(s, { model: await agent('add', [toolset]), messages: [user('add')] });
      assert.match(a.json.choices[0].message.content, /42/);
      const b = await chat(s, { model: await agent('bad_sum', [toolset]), messages: [user('add')] });
      assert.equal(b.status, 200, b.text);
      assert.equal(b.json.metadata.tool_calls[0].status, 'error');
      assert.match(b.json.choices[0].message.content, /^Results: Error: /);
    });
  }

  test('tools/list pages are all read; tools/list_changed makes Troupe list again', T, async () => {
    const g = await chat(s, { model: await agent('grow', ['sdk']), messages: [user('grow')] });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.choices[0].message.content, 'Results: grown', 'the third page was listed');
    // "late" exists only once the server announced it.
    let late;
    for (let i = 0; i < 20; ++i) {
      late = await chat(s, { model: await agent('late', ['sdk']), messages: [user('late')] });
      if (late.json?.metadata?.tool_calls?.[0]?.status === 'done') break;
      await sleep(100);
    }
    assert.equal(late.json.choices[0].message.content, 'Results: late tool here');
    assert.match(s.stderrText(), /toolset sdk stderr: tools\/list cursor=2/);
  });

  test('timed-out and abandoned calls are cancelled on the MCP server (notifications/cancelled)', T, async () => {
    const r = await chat(s, { model: await agent('wait_long', ['sdk_quick']), messages: [user('wait')] });
    assert.equal(r.json.metadata.tool_calls[0].status, 'error');
    await waitFor(() => /toolset sdk_quick stderr: cancelled request/.test(s.stderrText()), 3000, 'the timeout cancellation');
    const id = await agent('wait_long', ['sdk']);
    const ac = new AbortController();
    const res = await fetch(`${s.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: id, stream: true, messages: [user('wait')] }),
      signal: ac.signal,
    });
    await res.body.getReader().read();
    await sleep(300);
    ac.abort();
    await waitFor(() => /toolset sdk stderr: cancelled request/.test(s.stderrText()), 3000, 'the hang-up cancellation');
  });

  test('over Streamable HTTP a timed-out call is a tool error and the server stays up', T, async () => {
    const r = await chat(s, { model: await agent('slow', ['remote_quick']), messages: [user('slow')] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.tool_calls[0].status, 'error');
    assert.match(r.json.choices[0].message.content, /did not answer within 1 s/);
    await sleep(1500);  // past the abandoned POST's end
    const e = await chat(s, { model: await agent('echo', ['remote_quick']), messages: [user('echo')] });
    assert.equal(e.json.choices[0].message.content, 'Results: Echo: hello mcp');
    assert.doesNotMatch(s.stderrText(), /toolset remote_quick: /, 'the server was not torn down');
  });

  test('a stateless client that resends the conversation stays in one session; the agent rounds are not duplicated', T, async () => {
    const id = await agent('calc', ['basics']);
    const first = await chat(s, { model: id, messages: [user('first question')] });
    const sid = first.json.metadata.session_id;
    const reply = first.json.choices[0].message.content;
    const second = await chat(s, { model: id, messages: [user('first question'), { role: 'assistant', content: reply }, user('second question')] });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.metadata.session_id, sid);
    const sess = await s.req('GET', `/v1/sessions/${sid}`);
    assert.deepEqual(sess.json.messages.map((m) => m.role),
      ['user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'tool', 'assistant']);
    assert.deepEqual(sess.json.messages.filter((m) => m.role === 'user').map((m) => m.content), ['first question', 'second question']);
  });

  test('a call past timeout_s is a tool error and the turn goes on', T, async () => {
    const id = await agent('slow', ['quick']);
    const t0 = Date.now();
    const r = await chat(s, { model: id, messages: [user('slow')] });
    assert.equal(r.status, 200, r.text);
    assert.ok(Date.now() - t0 < 2900, 'answered before the tool would have finished');
    assert.equal(r.json.metadata.tool_calls[0].status, 'error');
    assert.match(r.json.choices[0].message.content, /did not answer within 1 s/);
  });

  test('a long tool run keeps the stream alive with ": ping" comments every 15 s', T, async () => {
    const id = await agent('long', ['everything']);
    const r = await streamChat(s, { model: id, stream: true, messages: [user('long')] }, { timeoutMs: 40000 });
    assert.equal(r.status, 200);
    assert.match(r.raw, /\n: ping\n\n/);
    assert.deepEqual(toolEvents(r.chunks).map((t) => t.status), ['running', 'done']);
    assert.ok(r.done);
  });

  test('Responses API: the agent tools run; input items are the client input only', T, async () => {
    const id = await agent('calc', ['basics']);
    const r = await s.req('POST', '/v1/responses', { body: { model: id, input: 'compute' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.output.at(-1).content[0].text, 'Results: 14');
    const items = await s.req('GET', `/v1/responses/${r.json.id}/input_items`);
    assert.deepEqual(items.json.data.map((i) => i.type), ['message']);
    const next = await s.req('POST', '/v1/responses', { body: { model: id, input: 'more', previous_response_id: r.json.id } });
    assert.equal(next.status, 200, next.text);
    const st = await s.req('POST', '/v1/responses', { body: { model: id, input: 'compute', stream: true } });
    assert.match(st.text, /event: response.completed/);
    assert.match(st.text, /Results: 14/);
  });

  test('parallel calls run together: both start before either ends', T, async () => {
    const id = await agent('twice', ['everything']);
    const r = await streamChat(s, { model: id, stream: true, messages: [user('two')] });
    const statuses = toolEvents(r.chunks).map((t) => t.status);
    assert.deepEqual(statuses, ['running', 'running', 'done', 'done']);
    const sess = await s.req('GET', `/v1/sessions/${r.chunks[0].metadata.session_id}`);
    assert.deepEqual(sess.json.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'tool', 'assistant']);
  });

  test('an MCP server killed with kill -9 mid-call: a tool error, then a restart serves the next call', T, async () => {
    const id = await agent('slow', ['everything']);
    await chat(s, { model: await agent('echo', ['everything']), messages: [user('warm up')] });
    const [pid] = pidsOf(main);
    assert.ok(pid, 'the stdio server runs');
    const turn = chat(s, { model: id, messages: [user('slow')] });
    await sleep(500);
    process.kill(pid, 'SIGKILL');
    const r = await turn;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.tool_calls[0].status, 'error');
    let ok;
    for (let i = 0; i < 20 && !ok; ++i) {
      const e = await chat(s, { model: await agent('echo', ['everything']), messages: [user('echo')] });
      if (e.json?.metadata?.tool_calls?.[0]?.status === 'done') ok = e;
      else await sleep(250);
    }
    assert.ok(ok, 'a call after the restart succeeds');
    assert.equal(ok.json.choices[0].message.content, 'Results: Echo: hello mcp');
  });

  test('100 concurrent turns share one stdio MCP server', T, async () => {
    const id = await agent('echo', ['everything']);
    const rs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => chat(s, { model: id, messages: [user(`turn ${i}`)] })),
    );
    for (const r of rs) {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.choices[0].message.content, 'Results: Echo: hello mcp');
    }
    assert.equal(pidsOf(main).length, 1);
  });

  test('a client that leaves mid-tool cancels the turn: nothing is stored', T, async () => {
    const id = await agent('slow', ['everything']);
    const sid = `sess-cancel-${Date.now()}`;
    const ac = new AbortController();
    const p = fetch(`${s.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: id, stream: true, messages: [user('slow')], metadata: { session_id: sid } }),
      signal: ac.signal,
    }).then((r) => r.body.getReader().read());
    await p;
    await sleep(300);
    ac.abort();
    // Past the tool's 3 s: a turn that ignored the hang-up would be stored by now.
    await sleep(4000);
    const g = await s.req('GET', `/v1/sessions/${sid}`);
    assert.equal(g.status, 404, g.text);
  });

  test('the fake upstream drives the loop; max_tool_iterations caps it with a last tool_choice "none" call', T, async () => {
    const id = await agent('up', ['basics'], { template_config: { max_tool_iterations: 2 } });
    const call = { name: 'calculator', arguments: '{"expression":"1+1"}' };
    await up.plan('cap-me', [{ tool_calls: [call] }, { tool_calls: [call] }, { content: 'final answer' }]);
    const r = await chat(s, { model: id, messages: [user('cap-me')] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'final answer');
    assert.equal(r.json.metadata.tool_calls.length, 2);
    const reqs = await up.requests('cap-me');
    assert.equal(reqs.length, 3);
    const bodies = reqs.map((q) => (typeof q.body === 'string' ? JSON.parse(q.body) : q.body));
    assert.ok(bodies[0].tools.some((t) => t.function.name === 'calculator'));
    assert.equal(bodies[2].tool_choice, 'none');
    // The upstream saw each call answered by its result.
    const last = bodies[2].messages;
    assert.deepEqual(last.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant', 'tool']);
    assert.equal(last[2].content, '2');
  });

  test('client tools and agent tools in one answer: agent calls run and are stored, the client gets its own', T, async () => {
    const id = await agent('up', ['basics']);
    await up.plan('mixed-calls', [{
      tool_calls: [
        { name: 'calculator', arguments: '{"expression":"6*7"}' },
        { name: 'lookup', arguments: '{"q":"x"}' },
      ],
    }]);
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    const r = await streamChat(s, { model: id, stream: true, tools, messages: [user('mixed-calls')] });
    const calls = r.chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? []);
    assert.deepEqual(calls.map((c) => c.function?.name).filter(Boolean), ['lookup']);
    assert.equal(r.chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');
    const sid = r.chunks[0].metadata.session_id;
    const sess = await s.req('GET', `/v1/sessions/${sid}`);
    const m = sess.json.messages;
    assert.deepEqual(m.map((x) => x.role), ['user', 'assistant', 'tool']);
    assert.deepEqual(m[1].tool_calls.map((c) => c.function.name), ['calculator', 'lookup']);
    assert.equal(m[2].content, '42');
    // The client answers its call; the upstream sees the whole exchange in order.
    const lookupId = calls.find((c) => c.function?.name === 'lookup').id;
    await up.plan('mixed-calls-2', [{ content: 'done' }]);
    const r2 = await chat(s, {
      model: id, tools, metadata: { session_id: sid },
      messages: [{ role: 'tool', tool_call_id: lookupId, content: 'mixed-calls-2' }],
    });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.choices[0].message.content, 'done');
  });
});

describe('the README examples (conf/services.json)', () => {
  test('worker: current_time through test-tools; filer: write_file through the filesystem server', T, async () => {
    const dir = path.join(work, 'readme');
    fs.mkdirSync(dir);
    const s = await startServer({ env: { TROUPE_FILES_DIR: dir } });
    try {
      await createAgent(s, { id: 'worker', llm_config_id: 'test-tools', toolsets: ['basics', 'files'] });
      const w = await chat(s, { model: 'worker', messages: [user('What time is it in Paris?')] });
      assert.match(w.json.choices[0].message.content, /^Tool results: \d{4}-\d\d-\d\dT.*\(Europe\/Paris, CES?T\)$/);
      await createAgent(s, { id: 'filer', llm_config_id: 'test-files', toolsets: ['files'] });
      const f = await chat(s, { model: 'filer', messages: [user('Save a greeting')] });
      assert.equal(f.json.choices[0].message.content, 'Tool results: Successfully wrote to hello.txt');
      assert.equal(fs.readFileSync(path.join(dir, 'hello.txt'), 'utf8'), 'Hello from a Troupe agent');
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});

describe('orphans', () => {
  test('after kill -9 of Troupe its stdio MCP servers exit', T, async () => {
    const mark = `${work}/orphan`;
    const services = writeTemp('services.json', {
      llm: { providers: { echo: script([['echo', { message: 'x' }]]) }, default_provider: 'echo' },
      toolsets: { everything: { type: 'mcp', transport: 'stdio', command: 'node', args: [EVERYTHING, 'stdio', mark] } },
    });
    const s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory'] });
    const id = await createAgent(s, { llm_config_id: 'echo', toolsets: ['everything'] });
    const r = await chat(s, { model: id, messages: [user('x')] });
    assert.equal(r.status, 200, r.text);
    assert.equal(pidsOf(mark).length, 1);
    await s.kill();
    await waitFor(() => pidsOf(mark).length === 0, 5000, 'the orphaned MCP server to exit');
  });

  test('a server that is not Troupe\'s direct child (no parent-death signal) exits when its stdin closes', T, async () => {
    const mark = `${work}/grandchild`;
    // `; true` keeps sh from exec-ing node: node is Troupe's grandchild.
    const services = writeTemp('services.json', {
      llm: { providers: { echo: script([['echo', { message: 'x' }]]) }, default_provider: 'echo' },
      toolsets: { everything: { type: 'mcp', transport: 'stdio', command: 'sh', args: ['-c', `node ${EVERYTHING} stdio ${mark}; true`] } },
    });
    const s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory'] });
    const id = await createAgent(s, { llm_config_id: 'echo', toolsets: ['everything'] });
    const r = await chat(s, { model: id, messages: [user('x')] });
    assert.equal(r.json.choices[0].message.content, 'Results: Echo: x');
    assert.equal(pidsOf(`^node ${EVERYTHING} stdio ${mark}$`).length, 1);
    await s.kill();
    await waitFor(() => pidsOf(`^node ${EVERYTHING} stdio ${mark}$`).length === 0, 5000, 'the grandchild to see its stdin close');
  });
});
