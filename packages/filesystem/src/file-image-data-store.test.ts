import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileImageDataStore } from './file-image-data-store.js';

const IMAGE_ID = '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345';

async function* chunks(...parts: (string | Uint8Array)[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part;
}

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'image-catalog-fs-'));
  root = path.join(base, 'images');
  outside = path.join(base, 'outside');
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'secret'), 'do not delete');
});

afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

async function listRoot(): Promise<string[]> {
  return (await fs.readdir(root)).sort();
}

describe('FileImageDataStore.write', () => {
  it('creates the root, stores one file named after the image, and reports size, md5 and sha512', async () => {
    const store = new FileImageDataStore({ root });
    const stored = (await store.write(IMAGE_ID, chunks('hello ', 'world')))._unsafeUnwrap();

    expect(stored.size).toBe(11);
    expect(stored.checksum).toBe(createHash('md5').update('hello world').digest('hex'));
    expect(stored.osHashAlgo).toBe('sha512');
    expect(stored.osHashValue).toBe(createHash('sha512').update('hello world').digest('hex'));
    expect(stored.url.startsWith('file:///')).toBe(true);

    const files = await listRoot();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^${IMAGE_ID}\\.[0-9a-f]{16}$`));
    expect(stored.url).toBe(pathToFileURL(path.join(root, files[0]!)).href);
    expect(await fs.readFile(path.join(root, files[0]!), 'utf8')).toBe('hello world');
  });

  it('stores empty data', async () => {
    const store = new FileImageDataStore({ root });
    const stored = (await store.write(IMAGE_ID, chunks()))._unsafeUnwrap();
    expect(stored.size).toBe(0);
    expect(stored.checksum).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('keeps two uploads of the same image in two files', async () => {
    const store = new FileImageDataStore({ root });
    const a = (await store.write(IMAGE_ID, chunks('a')))._unsafeUnwrap();
    const b = (await store.write(IMAGE_ID, chunks('b')))._unsafeUnwrap();
    expect(a.url).not.toBe(b.url);
    expect(await listRoot()).toHaveLength(2);
  });

  it('round-trips ids with characters that need URL encoding', async () => {
    const store = new FileImageDataStore({ root });
    for (const id of ['a b', 'x#y?z', '100%', 'ünïcödé', 'a:b~c']) {
      const stored = (await store.write(id, chunks(id)))._unsafeUnwrap();
      expect(stored.url).not.toContain(' ');
      expect((await store.delete(stored.url)).isOk()).toBe(true);
    }
    expect(await listRoot()).toEqual([]);
  });

  it.each([
    ['a slash', 'a/b'],
    ['a traversal', '../escape'],
    ['dot-dot', '..'],
    ['dot', '.'],
    ['a hidden name', '.tmp'],
    ['a backslash', 'a\\b'],
    ['a NUL', 'a\0b'],
    ['a newline', 'a\nb'],
    ['empty', ''],
    ['too long for a file name', 'x'.repeat(250)],
  ])('refuses an image id with %s, writing nothing', async (_label, id) => {
    const store = new FileImageDataStore({ root });
    const result = await store.write(id, chunks('data'));
    expect(result._unsafeUnwrapErr().kind).toBe('DataStoreRejected');
    expect(existsSync(path.join(base, 'escape'))).toBe(false);
    expect(existsSync(root) ? await listRoot() : []).toEqual([]);
  });

  it('leaves no temp file when the data stream fails', async () => {
    const store = new FileImageDataStore({ root });
    async function* broken(): AsyncIterable<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('client went away');
    }
    const result = await store.write(IMAGE_ID, broken());
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'DataStoreFault', message: 'reading the image data failed' });
    expect(await listRoot()).toEqual([]);
  });

  it('answers a typed error when the root cannot be created', async () => {
    const file = path.join(base, 'a-file');
    await fs.writeFile(file, '');
    const store = new FileImageDataStore({ root: path.join(file, 'images') });
    const result = await store.write(IMAGE_ID, chunks('x'));
    expect(result.isErr()).toBe(true);
    expect(['DataStoreRejected', 'DataStoreFault']).toContain(result._unsafeUnwrapErr().kind);
  });
});

describe('FileImageDataStore.delete', () => {
  it('deletes a file it wrote, and counts a file already gone as deleted', async () => {
    const store = new FileImageDataStore({ root });
    const { url } = (await store.write(IMAGE_ID, chunks('data')))._unsafeUnwrap();
    expect((await store.delete(url)).isOk()).toBe(true);
    expect(await listRoot()).toEqual([]);
    expect((await store.delete(url)).isOk()).toBe(true);
  });

  it('counts a missing root as nothing to delete', async () => {
    const store = new FileImageDataStore({ root });
    expect((await store.delete(store.urlOf(IMAGE_ID))).isOk()).toBe(true);
  });

  it('accepts the root named through its real path when the configured root is a symlink', async () => {
    const real = path.join(base, 'real-images');
    await fs.mkdir(real);
    await fs.symlink(real, root);
    const store = new FileImageDataStore({ root });
    const { url } = (await store.write(IMAGE_ID, chunks('data')))._unsafeUnwrap();
    const name = path.basename(new URL(url).pathname);
    expect((await store.delete(pathToFileURL(path.join(real, name)).href)).isOk()).toBe(true);
    expect(await fs.readdir(real)).toEqual([]);
  });

  describe('confinement', () => {
    const secretUrl = () => pathToFileURL(path.join(outside, 'secret')).href;
    const rootUrl = () => pathToFileURL(root).href;

    async function expectRejected(store: FileImageDataStore, url: string) {
      const result = await store.delete(url);
      expect(result.isErr()).toBe(true);
      expect(result._unsafeUnwrapErr().kind).toBe('DataStoreRejected');
      expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('do not delete');
    }

    it.each<[string, () => string]>([
      ['a file outside the root', () => secretUrl()],
      ['a dot-dot traversal', () => `${rootUrl()}/../outside/secret`],
      ['an encoded dot-dot traversal', () => `${rootUrl()}/%2e%2e/outside/secret`],
      ['a mixed-case encoded traversal', () => `${rootUrl()}/%2E%2e/outside/secret`],
      ['an encoded slash', () => `${rootUrl()}/..%2foutside%2fsecret`],
      ['an encoded backslash', () => `${rootUrl()}/..%5coutside%5csecret`],
      ['a backslash traversal', () => `${rootUrl()}\\..\\outside\\secret`],
      ['an encoded NUL', () => `${rootUrl()}/${IMAGE_ID}%00`],
      ['a raw NUL', () => `${rootUrl()}/${IMAGE_ID}\0`],
      ['the root itself', () => rootUrl()],
      ['the root with a trailing slash', () => `${rootUrl()}/`],
      ['a file in a sub-folder', () => `${rootUrl()}/sub/${IMAGE_ID}`],
      ['a hidden (temp) file', () => `${rootUrl()}/.${IMAGE_ID}.tmp`],
      ['a remote host', () => `file://example.com${new URL(secretUrl()).pathname}`],
      ['a query', () => `${rootUrl()}/${IMAGE_ID}?x=1`],
      ['a fragment', () => `${rootUrl()}/${IMAGE_ID}#x`],
      ['another scheme', () => `http://localhost${root}/${IMAGE_ID}`],
      ['swift', () => `swift+https://store/v1/images/${IMAGE_ID}`],
      ['a bare path', () => path.join(root, IMAGE_ID)],
      ['a relative URL', () => `images/${IMAGE_ID}`],
      ['garbage', () => '::::'],
      ['empty', () => ''],
      ['an over-long URL', () => `${rootUrl()}/${'a'.repeat(5000)}`],
    ])('refuses %s without touching it', async (_label, url) => {
      await fs.mkdir(root, { recursive: true });
      await expectRejected(new FileImageDataStore({ root }), url());
    });

    it('refuses a symlink in the root that points outside', async () => {
      await fs.mkdir(root, { recursive: true });
      await fs.symlink(path.join(outside, 'secret'), path.join(root, IMAGE_ID));
      const store = new FileImageDataStore({ root });
      await expectRejected(store, store.urlOf(IMAGE_ID));
      expect((await fs.lstat(path.join(root, IMAGE_ID))).isSymbolicLink()).toBe(true);
    });

    it('refuses a path through a symlinked folder in the root', async () => {
      await fs.mkdir(root, { recursive: true });
      await fs.symlink(outside, path.join(root, 'link'));
      const store = new FileImageDataStore({ root });
      await expectRejected(store, `${pathToFileURL(root).href}/link/secret`);
    });

    it('refuses a folder', async () => {
      await fs.mkdir(path.join(root, IMAGE_ID), { recursive: true });
      const store = new FileImageDataStore({ root });
      const result = await store.delete(store.urlOf(IMAGE_ID));
      expect(result._unsafeUnwrapErr().kind).toBe('DataStoreRejected');
      expect(existsSync(path.join(root, IMAGE_ID))).toBe(true);
    });

    it('refuses non-string input', async () => {
      const store = new FileImageDataStore({ root });
      const result = await store.delete(42 as unknown as string);
      expect(result._unsafeUnwrapErr().kind).toBe('DataStoreRejected');
    });
  });

  it.runIf(process.platform !== 'win32' && process.getuid?.() !== 0)('maps a permission error to DataStoreFault', async () => {
    const store = new FileImageDataStore({ root });
    const { url } = (await store.write(IMAGE_ID, chunks('data')))._unsafeUnwrap();
    await fs.chmod(root, 0o500);
    try {
      const result = await store.delete(url);
      expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'DataStoreFault', message: 'delete failed (EACCES)' });
    } finally {
      await fs.chmod(root, 0o700);
    }
  });
});

describe('FileImageDataStore.sweepTempFiles', () => {
  const HOUR = 3_600_000;
  const tempName = () => `.${globalThis.crypto.randomUUID()}.tmp`;
  async function aged(name: string, ageMs: number): Promise<string> {
    const file = path.join(root, name);
    await fs.writeFile(file, 'left by a crash');
    const then = new Date(Date.now() - ageMs);
    await fs.utimes(file, then, then);
    return file;
  }

  it('removes temp files older than the grace period and nothing else', async () => {
    await fs.mkdir(root, { recursive: true });
    const store = new FileImageDataStore({ root });
    const { url } = (await store.write(IMAGE_ID, chunks('data')))._unsafeUnwrap();
    const old = [await aged(tempName(), 2 * HOUR), await aged(tempName(), 2 * HOUR)];
    const fresh = await aged(tempName(), 1000);
    const keep = [await aged('.keep', 2 * HOUR), await aged('.not-a-uuid.tmp', 2 * HOUR), await aged(`${IMAGE_ID}.tmp`, 2 * HOUR)];
    await fs.mkdir(path.join(root, tempName())); // a folder with a temp name is not ours to remove

    expect((await store.sweepTempFiles({ olderThanMs: HOUR }))._unsafeUnwrap()).toEqual({ removed: 2 });
    for (const file of old) expect(existsSync(file)).toBe(false);
    for (const file of [fresh, ...keep]) expect(existsSync(file)).toBe(true);
    expect(existsSync(new URL(url))).toBe(true);
    expect((await store.sweepTempFiles({ olderThanMs: 0 }))._unsafeUnwrap()).toEqual({ removed: 1 });
    expect(existsSync(fresh)).toBe(false);
  });

  it('spares the temp file of its own write in progress, even with no grace period', async () => {
    const store = new FileImageDataStore({ root });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncIterable<Uint8Array> {
      yield Buffer.from('first ');
      await gate;
      yield Buffer.from('second');
    }
    const writing = store.write(IMAGE_ID, slow());
    let temps: string[] = [];
    for (let i = 0; i < 100 && temps.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      temps = existsSync(root) ? (await listRoot()).filter((name) => name.endsWith('.tmp')) : [];
    }
    expect(temps).toHaveLength(1);
    expect((await store.sweepTempFiles({ olderThanMs: 0 }))._unsafeUnwrap()).toEqual({ removed: 0 });
    release();
    const stored = (await writing)._unsafeUnwrap();
    expect(stored.size).toBe(12);
    expect(await listRoot()).toEqual([path.basename(new URL(stored.url).pathname)]);
  });

  it('has nothing to do before the root exists', async () => {
    const store = new FileImageDataStore({ root });
    expect((await store.sweepTempFiles({ olderThanMs: 0 }))._unsafeUnwrap()).toEqual({ removed: 0 });
  });
});
