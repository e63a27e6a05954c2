// Shared helpers for the black-box tests: start the real troupe binary on a
// free loopback port, talk HTTP to it, parse SSE, write temp config files.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root: tests/blackbox/../.. */
export const REPO_ROOT = path.resolve(here, '..', '..');
/** The server binary (env TROUPE_BIN, relative paths resolve against the repo root). */
export const TROUPE_BIN = path.resolve(REPO_ROOT, process.env.TROUPE_BIN || 'build/troupe');

export const DEFAULT_ARGS = [
  '--services=conf/services.json',
  '--agents=conf/agents.json',
  '--storage=memory',
  '--log-level=info',
];

export const MOCK_REPLY = 'Test response from mock LLM';

/** Chat messages as clients send them. */
export const user = (content) => ({ role: 'user', content });
export const assistant = (content) => ({ role: 'assistant', content });
export const SYSTEM_PROMPT = 'You are a helpful assistant.';

/** Number of whitespace-separated words, like the test provider counts tokens. */
export function words(text) {
  const t = String(text).trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago (listen on port 0, read it, close). */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Runs the binary to completion (for CLI tests). Resolves to
 * {code, signal, stdout, stderr}; kills it after timeoutMs.
 */
export function runBinary(args, { env = {}, timeoutMs = 10000, cwd = REPO_ROOT } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(TROUPE_BIN, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Starts the server. Options:
 *   args: extra command-line flags (appended after the defaults)
 *   baseArgs: replaces DEFAULT_ARGS
 *   env: extra environment
 *   token: passed as --token and used by req() by default
 *   host: the address in --listen (default 127.0.0.1; requests always go to 127.0.0.1)
 *   startTimeoutMs: how long to wait for /ping
 *   maxFiles: run under `ulimit -n maxFiles` (soft and hard descriptor limit),
 *             or [soft, hard]
 * Returns {base, port, token, url(path), req(...), stop(), kill(), proc, stderrText(), exited}.
 */
export async function startServer({
  args = [],
  baseArgs = DEFAULT_ARGS,
  env = {},
  token,
  host = '127.0.0.1',
  startTimeoutMs = 10000,
  maxFiles,
} = {}) {
  const port = await freePort();
  const all = [...baseArgs, `--listen=${host}:${port}`, ...args];
  if (token) all.push(`--token=${token}`);
  const childEnv = { ...process.env, ...env };
  if (!('TROUPE_TOKEN' in env)) delete childEnv.TROUPE_TOKEN;
  // With maxFiles the shell sets the limit, then becomes troupe (same pid).
  const [soft, hard] = Array.isArray(maxFiles) ? maxFiles.map(Number) : [maxFiles, maxFiles].map(Number);
  const [cmd, argv] = maxFiles
    ? ['/bin/sh', ['-c', `ulimit -Sn ${soft} && ulimit -Hn ${hard} && exec "$0" "$@"`, TROUPE_BIN, ...all]]
    : [TROUPE_BIN, all];
  const proc = spawn(cmd, argv, {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  proc.stderr.setEncoding('utf8');
  proc.stdout.setEncoding('utf8');
  proc.stderr.on('data', (d) => (stderr += d));
  proc.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let exitInfo = null;
  exited.then((e) => (exitInfo = e));

  const base = `http://127.0.0.1:${port}`;
  const url = (p) => base + p;

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exitInfo) {
      throw new Error(
        `troupe exited during start-up (code ${exitInfo.code}, signal ${exitInfo.signal}):\n${stderr}`,
      );
    }
    try {
      const r = await fetch(url('/ping'), { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) {
        await r.text();
        break;
      }
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(
        `troupe (pid ${proc.pid}, still running) did not answer /ping on port ${port} ` +
          `within ${startTimeoutMs} ms; args: ${all.join(' ')}\nstderr:\n${stderr}\nstdout:\n${stdout}`,
      );
    }
    await sleep(25);
  }

  const server = {
    base,
    port,
    token,
    proc,
    url,
    exited,
    stderrText: () => stderr,
    stdoutText: () => stdout,
    /** HTTP request with auth; see request(). */
    req: (method, p, opts = {}) =>
      request(method, url(p), { token: opts.token === undefined ? token : opts.token, ...opts }),
    /** SIGTERM, await exit; resolves to {code, signal}. Kills after timeoutMs. */
    async stop({ signal = 'SIGTERM', timeoutMs = 15000 } = {}) {
      if (exitInfo) return exitInfo;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const e = await exited;
      clearTimeout(t);
      return e;
    },
    kill() {
      if (!exitInfo) proc.kill('SIGKILL');
      return exited;
    },
  };
  return server;
}

/**
 * One HTTP request with fetch. body: object (JSON-encoded), string or Buffer.
 * Returns {status, headers, text, json} (json is undefined when not JSON).
 */
export async function request(
  method,
  fullUrl,
  { body, headers = {}, token, timeoutMs = 20000, contentType } = {},
) {
  const h = { ...headers };
  if (token && !('Authorization' in h) && !('X-Runtime-Token' in h)) {
    h.Authorization = `Bearer ${token}`;
  }
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
    }
    if (contentType !== null && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['Content-Type'] = contentType || 'application/json';
    }
  }
  const r = await fetch(fullUrl, {
    method,
    headers: h,
    body: payload,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** Parses an SSE body into the list of `data:` payloads (strings), in order. */
export function parseSSE(text) {
  const events = [];
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) events.push(data.join('\n'));
  }
  return events;
}

/**
 * A streaming chat completion. Returns {status, headers, raw, events, chunks, done}:
 * events = data payloads, chunks = parsed JSON chunks (without [DONE]),
 * done = whether the last event is [DONE].
 */
export async function streamChat(server, body, { token, timeoutMs = 20000, headers = {} } = {}) {
  const r = await server.req('POST', '/v1/chat/completions', {
    body: { ...body, stream: true },
    token,
    timeoutMs,
    headers,
  });
  const events = parseSSE(r.text);
  const chunks = [];
  for (const e of events) {
    if (e === '[DONE]') continue;
    chunks.push(JSON.parse(e));
  }
  return {
    status: r.status,
    headers: r.headers,
    raw: r.text,
    json: r.json,
    events,
    chunks,
    done: events.length > 0 && events[events.length - 1] === '[DONE]',
  };
}

/** POST /v1/chat/completions (non-stream); returns the request() result. */
export function chat(server, body, opts = {}) {
  return server.req('POST', '/v1/chat/completions', { body, ...opts });
}

/** Content of a non-stream reply. */
export const contentOf = (r) => r.json?.choices?.[0]?.message?.content;

/** Concatenated delta content of stream chunks. */
export const streamText = (chunks) =>
  chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');

/**
 * Raw bytes over TCP. Resolves to {data (Buffer), closed (bool), error}
 * after the peer closes or timeoutMs passes (then the socket is destroyed).
 */
export function rawSend(port, chunks, { timeoutMs = 3000, host = '127.0.0.1', endAfter = false } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const parts = [];
    let done = false;
    let error = null;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(parts), closed, error });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d) => parts.push(d));
    sock.on('error', (e) => {
      error = e;
      finish(true);
    });
    sock.on('close', () => finish(true));
    sock.on('connect', () => {
      for (const c of Array.isArray(chunks) ? chunks : [chunks]) sock.write(c);
      if (endAfter) sock.end();
    });
  });
}

let tmpCounter = 0;
let tmpDir = null;
/** Writes a JSON (object) or text file under os.tmpdir(); returns its path. */
export function writeTemp(name, content) {
  if (!tmpDir) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-bb-'));
    process.on('exit', () => fs.rmSync(tmpDir, { recursive: true, force: true }));
  }
  const dir = tmpDir;
  const p = path.join(dir, `${++tmpCounter}-${name}`);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
}

/** A services file: providers map plus default provider. */
export function writeServices(providers, defaultProvider = Object.keys(providers)[0]) {
  return writeTemp('services.json', { llm: { providers, default_provider: defaultProvider } });
}

/** An agents file (array of agent objects). */
export function writeAgents(agents) {
  return writeTemp('agents.json', agents);
}

/** Asserts the error envelope shape and the status; returns the error object. */
export function assertError(r, status, { code, type, param } = {}) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  const b = r.json;
  assert.ok(b && typeof b === 'object', `error body is not JSON: ${r.text}`);
  assert.ok(b.error && typeof b.error === 'object', `no error object: ${r.text}`);
  const e = b.error;
  assert.equal(typeof e.message, 'string', 'error.message is a string');
  assert.ok(e.message.length > 0, 'error.message is not empty');
  assert.equal(typeof e.type, 'string', 'error.type is a string');
  assert.ok('param' in e, 'error.param is present');
  assert.ok(e.param === null || typeof e.param === 'string', 'error.param is string or null');
  assert.ok('code' in e, 'error.code is present');
  assert.ok(e.code === null || typeof e.code === 'string' || typeof e.code === 'number');
  assert.equal(b.detail, e.message, 'detail == error.message');
  const ct = r.headers.get('content-type') || '';
  assert.match(ct, /application\/json/, 'error content type is JSON');
  if (code !== undefined) assert.equal(e.code, code);
  if (type !== undefined) assert.equal(e.type, type);
  if (param !== undefined) assert.equal(e.param, param);
  return e;
}

/** Creates an agent (expects 201) and returns its id. */
export async function createAgent(server, fields = {}) {
  const name = fields.name ?? `agent-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const r = await server.req('POST', '/v1/agents', {
    body: { template_id: 'chat', ...fields, name },
  });
  assert.equal(r.status, 201, `create agent: ${r.status} ${r.text}`);
  return r.json.agent_id;
}

/** Unique suffix for names and ids. */
export function uid(prefix = 'x') {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Access-log lines of stderr: `<ts> info METHOD PATH STATUS 0.123ms session=...`. */
export function accessLines(stderrText) {
  return stderrText
    .split('\n')
    .filter((l) => /^\S+ info (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+ \d{3} [\d.]+ms session=\S+/.test(l));
}

/**
 * A streaming chat completion read as it arrives. Returns {status, events}
 * where each event is {data, at} (at: Date.now() when it was read). With
 * abortAfter(event) returning true the client disconnects right there; then
 * `abortedAt` holds the time.
 */
export async function timedStream(server, body, { abortAfter, timeoutMs = 20000 } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const headers = { 'Content-Type': 'application/json' };
  if (server.token) headers.Authorization = `Bearer ${server.token}`;
  const r = await fetch(server.url('/v1/chat/completions'), {
    method: 'POST',
    headers,
    body: JSON.stringify({ ...body, stream: true }),
    signal: ctl.signal,
  });
  const out = { status: r.status, events: [], abortedAt: null, text: '' };
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const piece of r.body) {
      const text = decoder.decode(piece, { stream: true });
      out.text += text;
      buf += text;
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const [data] = parseSSE(buf.slice(0, cut + 2));
        buf = buf.slice(cut + 2);
        if (data === undefined) continue;
        const ev = { data, at: Date.now() };
        out.events.push(ev);
        if (abortAfter?.(ev)) {
          out.abortedAt = Date.now();
          ctl.abort();
          return out;
        }
      }
    }
  } catch (e) {
    if (out.abortedAt === null) throw e;
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** Content of a stream event's first choice delta, or undefined. */
export function deltaOf(ev) {
  if (ev.data === '[DONE]') return undefined;
  return JSON.parse(ev.data).choices?.[0]?.delta?.content;
}

/**
 * HTTP/1.1 responses in raw bytes (Content-Length framed, or chunked as the
 * streams are). Returns [{status, headers (lower-case keys), body (Buffer)}];
 * an unfinished last response is left out.
 */
export function parseResponses(buf) {
  const out = [];
  let at = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const lines = buf.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) break;
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts = [];
      let p = headEnd + 4;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd < 0) return out;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size) || lineEnd + 2 + size + 2 > buf.length) return out;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      out.push({ status: Number(m[1]), headers, body: Buffer.concat(parts) });
      at = p;
      continue;
    }
    const len = Number(headers['content-length'] ?? 0);
    const bodyEnd = headEnd + 4 + len;
    if (bodyEnd > buf.length) break;
    out.push({ status: Number(m[1]), headers, body: buf.subarray(headEnd + 4, bodyEnd) });
    at = bodyEnd;
  }
  return out;
}

/** VmRSS of a process in KiB (Linux). */
export function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
