// A bounded in-process HTTP client: keep-alive sockets, a fixed number of requests in flight, every status counted.
import { Agent, request } from 'node:http';
import { recordProblem, type SideRuns } from './stats.js';

export interface LoadOptions {
  readonly concurrency: number;
  readonly token: string;
  /** The status every request must get; anything else makes the comparison invalid. */
  readonly expectedStatus: number;
}

export interface LoadClient {
  /**
   * Sends `DELETE <path>` for every path with `concurrency` requests in flight; answers the elapsed
   * milliseconds. Latency is measured per request at the client, from `request()` to the end of the
   * response. `runs === null` is an untimed warm-up.
   */
  run(paths: readonly string[], runs: SideRuns | null): Promise<number>;
  close(): void;
}

function send(agent: Agent, origin: URL, path: string, token: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      { agent, host: origin.hostname, port: origin.port, method: 'DELETE', path, headers: { 'x-auth-token': token } },
      (res) => {
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (error: NodeJS.ErrnoException) => resolve(`response error ${error.code ?? error.message}`));
        res.resume();
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`request error ${error.code ?? error.message}`));
    req.end();
  });
}

/** One keep-alive agent per server, kept across batches so connections are reused as a real client would. */
export function createLoadClient(origin: string, options: LoadOptions): LoadClient {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(origin);
  return {
    async run(paths, runs) {
      let next = 0;
      const lane = async () => {
        while (next < paths.length) {
          const path = paths[next++]!;
          const t0 = performance.now();
          const status = await send(agent, url, path, options.token);
          const t1 = performance.now();
          if (runs === null) continue;
          runs.latenciesMs.push(t1 - t0);
          if (status === options.expectedStatus) runs.ok++;
          else recordProblem(runs, typeof status === 'number' ? `HTTP ${status}` : status);
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: Math.min(options.concurrency, paths.length) }, lane));
      return performance.now() - started;
    },
    close: () => agent.destroy(),
  };
}
