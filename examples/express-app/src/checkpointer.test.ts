// The service as shipped keeps SQLite's WAL checkpoints off the request path: the storage's checkpointer starts and stops with it.
import { afterEach, describe, expect, it } from 'vitest';
import { createImageOverHttp, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const MEMBER = 'demo-member-token';
let running: InProcessService | null = null;

afterEach(async () => {
  await running?.close();
  running = null;
});

describe('the example service and the SQLite WAL checkpointer', () => {
  it('runs it from start to stop with no setting, and deletes through it as usual', async () => {
    running = await startInProcessService();
    const { background } = running.service.storage;
    expect(background).toMatchObject({ enabled: true, running: true });

    const images = await Promise.all(Array.from({ length: 20 }, () => createImageOverHttp(running!.api, MEMBER)));
    for (const image of images) {
      const res = await fetch(`${running.api}/images/${image.id}`, { method: 'DELETE', headers: { 'X-Auth-Token': MEMBER } });
      expect(res.status).toBe(204);
    }

    await running.stop();
    expect(background).toMatchObject({ running: false });
    expect(running.logs.filter((entry) => entry.msg?.startsWith('sqlite checkpointer'))).toEqual([]);
  });
});
