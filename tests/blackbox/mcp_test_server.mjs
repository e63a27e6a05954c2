// An MCP server for the tools tests, on the official SDK over stdio (the
// SDK installed in conf/mcp): tools/list in pages of one tool, a tool that
// adds a tool and announces it (notifications/tools/list_changed), a tool
// that waits, and a stderr line for every cancellation it receives.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sdk = path.resolve(here, '../../conf/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Server } = await import(`${sdk}/server/index.js`);
const { StdioServerTransport } = await import(`${sdk}/server/stdio.js`);
const { ListToolsRequestSchema, CallToolRequestSchema } = await import(`${sdk}/types.js`);

const object = (properties = {}) => ({ type: 'object', properties });
const tools = [
  { name: 'ping_me', description: 'Answers pong', inputSchema: object() },
  { name: 'wait', description: 'Waits `ms` milliseconds', inputSchema: object({ ms: { type: 'number' } }) },
  { name: 'grow', description: 'Adds the tool "late"', inputSchema: object() },
];

const server = new Server({ name: 'troupe-test', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
server.setRequestHandler(ListToolsRequestSchema, async (req) => {
  const at = Number(req.params?.cursor ?? 0);
  console.error(`tools/list cursor=${at}`);
  return { tools: [tools[at]], ...(at + 1 < tools.length ? { nextCursor: String(at + 1) } : {}) };
});
server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
  const { name, arguments: args = {} } = req.params;
  if (name === 'ping_me') return { content: [{ type: 'text', text: 'pong' }] };
  if (name === 'late') return { content: [{ type: 'text', text: 'late tool here' }] };
  if (name === 'grow') {
    if (!tools.some((t) => t.name === 'late')) tools.push({ name: 'late', description: 'Added later', inputSchema: object() });
    await server.sendToolListChanged();
    return { content: [{ type: 'text', text: 'grown' }] };
  }
  if (name === 'wait') {
    await new Promise((resolve) => {
      const t = setTimeout(resolve, Number(args.ms ?? 1000));
      extra.signal.addEventListener('abort', () => {
        clearTimeout(t);
        console.error(`cancelled request ${extra.requestId}`);
        resolve();
      });
    });
    return { content: [{ type: 'text', text: 'waited' }] };
  }
  return { content: [{ type: 'text', text: `unknown tool ${name}` }], isError: true };
});
await server.connect(new StdioServerTransport());
