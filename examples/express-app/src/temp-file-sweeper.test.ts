// The example service sweeps upload temp files a crash left behind: at start and with every scrubber interval, sparing uploads in flight.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authHeaders, createImageOverHttp, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const MEMBER = 'demo-member-token';
const HOUR_AGO = new Date(Date.now() - 3_600_000);

describe('upload temp files left by a crash', () => {
  let dataDir = '';
  let svc: InProcessService | null = null;
  afterEach(async () => {
    await svc?.stop();
    svc = null;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const images = () => path.join(dataDir, 'images');
  const leftover = (ageDate: Date = HOUR_AGO) => {
    const file = path.join(images(), `.${globalThis.crypto.randomUUID()}.tmp`);
    writeFileSync(file, 'half an image');
    utimesSync(file, ageDate, ageDate);
    return file;
  };

  it('are gone once the service has started; other files in the folder stay', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-sweep-'));
    mkdirSync(images(), { recursive: true });
    const stale = [leftover(), leftover(), leftover()];
    const recent = leftover(new Date()); // within the grace period: perhaps another process's upload
    const other = path.join(images(), '.operator-notes');
    writeFileSync(other, 'keep');
    utimesSync(other, HOUR_AGO, HOUR_AGO);

    svc = await startInProcessService({ env: { IMAGE_CATALOG_DATA_DIR: dataDir } });
    for (const file of stale) expect(existsSync(file)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(
      svc.logs.some(
        (entry) => entry.msg === 'removed temp files of interrupted uploads' && (entry.obj as { removed?: number }).removed === 3,
      ),
    ).toBe(true);
  });

  it('are swept periodically too, but never the temp file of an upload in flight', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-sweep-'));
    // No grace period: only the store's knowledge of its own writes protects the upload in flight.
    svc = await startInProcessService({
      env: { IMAGE_CATALOG_DATA_DIR: dataDir, IMAGE_CATALOG_SCRUB_INTERVAL: '1', IMAGE_CATALOG_TEMP_FILE_GRACE: '0' },
    });
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const req = request(new URL(`${svc.api}/images/${id}/file`), {
      method: 'PUT',
      headers: authHeaders(MEMBER, { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' }),
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(Buffer.alloc(4096, 1));
    const temps = () => readdirSync(images()).filter((name) => name.endsWith('.tmp'));
    for (let i = 0; i < 200 && temps().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const inFlight = temps();
    expect(inFlight).toHaveLength(1);

    const stale = leftover();
    // Two sweeps at least (one per second) while the upload waits for its next chunk.
    for (let i = 0; i < 300 && existsSync(stale); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(existsSync(stale)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(temps()).toEqual(inFlight);

    req.end(Buffer.alloc(4096, 2));
    expect(await answered).toBe(204);
    const files = readdirSync(images());
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^${id}\\.[0-9a-f]{16}$`));
  });
});
