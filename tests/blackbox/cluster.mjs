// Cluster nodes for black-box tests: Troupe processes on loopback that share
// one PostgreSQL database (started by postgres.mjs), each with its own HTTP
// and cluster port.
import { freePort, sleep, startServer } from './helpers.mjs';

/**
 * Starts one node. opts: {spec, id, name = 'troupe', failureS = 2, clusterPort, args, agents}.
 * The node object is the server of startServer plus {id, clusterPort, opts}.
 */
export async function startNode(opts) {
  const clusterPort = opts.clusterPort ?? (await freePort());
  const baseArgs = ['--services=conf/services.json', `--storage=${opts.spec}`, '--log-level=info',
    `--cluster-listen=127.0.0.1:${clusterPort}`, `--node-id=${opts.id}`,
    `--cluster-name=${opts.name ?? 'troupe'}`, `--cluster-failure-s=${opts.failureS ?? 2}`];
  if (opts.agents !== false) baseArgs.push('--agents=conf/agents.json');
  const s = await startServer({ baseArgs, args: opts.args ?? [], startTimeoutMs: 20000 });
  return Object.assign(s, { id: opts.id, clusterPort, opts: { ...opts, clusterPort } });
}

/** Waits until `node` sees exactly the ids in `up` as up members. */
export async function waitMembers(node, up, timeoutMs = 15000) {
  const want = [...up].sort().join(',');
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  for (;;) {
    const r = await node.req('GET', '/v1/cluster').catch(() => null);
    if (r?.status === 200) {
      seen = r.json.members.filter((m) => m.status === 'up').map((m) => m.node_id).sort().join(',');
      if (seen === want) return r.json;
    }
    if (Date.now() > deadline) throw new Error(`${node.id} sees up [${seen}], want [${want}]`);
    await sleep(100);
  }
}

/** Starts n nodes (n1 … nn) on one database; the first seeds the agents. */
export async function startCluster(spec, n = 3, extra = {}) {
  const nodes = [await startNode({ spec, id: 'n1', ...extra })];
  for (let i = 2; i <= n; i++) nodes.push(await startNode({ spec, id: `n${i}`, agents: false, ...extra }));
  const ids = nodes.map((x) => x.id);
  for (const node of nodes) await waitMembers(node, ids);
  return nodes;
}
