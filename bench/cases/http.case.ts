// Case 2: the library over HTTP (node:http listener, Express router) against bare handlers running the raw transaction.
import { BENCH_TOKEN, type Workspace } from '../support/database.js';
import { createLoadClient } from '../support/http-load.js';
import type { BenchOptions } from '../support/options.js';
import { createBenchServer, listen, type ServerKind } from '../support/servers.js';
import { compare, emptyRuns, type ComparisonRow, type SideRuns } from '../support/stats.js';
import { checkDatabase, pairedRound, withFreshDatabases, type PairedSide } from '../support/timing.js';

/** Requests per batch before the other server takes its turn. */
const BATCH = 200;

/**
 * Per round, both servers listen at once, each on its own fresh database, and the client sends
 * them alternating batches of the same image ids.
 */
async function comparison(
  options: BenchOptions,
  workspace: Workspace,
  name: string,
  library: ServerKind,
  baseline: ServerKind,
): Promise<ComparisonRow> {
  const template = await workspace.template(options.images);
  const libraryRuns = emptyRuns();
  const baselineRuns = emptyRuns();
  for (let round = 0; round <= options.httpRounds; round++) {
    const timed = round > 0;
    await withFreshDatabases(workspace, template, [library, baseline], async (fresh) => {
      const servers = await Promise.all(([library, baseline] as const).map((kind, i) => listen(createBenchServer(kind, fresh[i]!.db))));
      const clients = servers.map((s) =>
        createLoadClient(s.origin, { concurrency: options.concurrency, token: BENCH_TOKEN, expectedStatus: 204 }),
      );
      try {
        const side = (i: number, runs: SideRuns): PairedSide => ({
          runBatch: (ids) =>
            clients[i]!.run(
              ids.map((id) => `/v2/images/${id}`),
              timed ? runs : null,
            ),
          runs: timed ? runs : null,
        });
        await pairedRound(template.imageIds, BATCH, [side(0, libraryRuns), side(1, baselineRuns)]);
      } finally {
        for (const client of clients) client.close();
        await Promise.all(servers.map((s) => s.close()));
      }
      if (timed) {
        checkDatabase(fresh[0]!.db, template.imageIds.length, libraryRuns);
        checkDatabase(fresh[1]!.db, template.imageIds.length, baselineRuns);
      }
    });
  }
  return compare('http', name, libraryRuns, baselineRuns, `${options.concurrency} requests in flight, keep-alive, 127.0.0.1`);
}

export async function runHttpCases(options: BenchOptions, workspace: Workspace): Promise<ComparisonRow[]> {
  return [
    await comparison(options, workspace, 'node:http: createNodeListener vs bare handler', 'library-node', 'baseline-node'),
    await comparison(options, workspace, 'Express: createImagesRouter vs bare handler', 'library-express', 'baseline-express'),
  ];
}
