// A data store keeping each image's data as one file directly under a root folder, and never touching anything outside it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { DataStoreError, StoredImageData, WritableImageDataStore } from '@image-catalog/core';
import { errnoCode, rejected, toDataStoreError } from './fs-errors.js';

export interface FileImageDataStoreOptions {
  /** Folder holding one file per image; created (with parents) on first write. */
  readonly root: string;
  /** Permission bits of new data files (default `0o640`). */
  readonly fileMode?: number;
  /**
   * fsync each written file and the folder after a rename or unlink (default `true`), so a power
   * loss can neither lose acknowledged data nor bring deleted data back.
   */
  readonly fsync?: boolean;
}

/** File names are at most this many bytes on the file systems we run on. */
const NAME_MAX = 255;
/** `.` + 16 hex digits appended to the image id: two uploads of one image never overwrite each other. */
const SUFFIX_BYTES = 17;
/** A URL longer than this is not one of ours. */
const MAX_URL_LENGTH = 4096;
/** Control characters, separators and NUL can never be part of a file name we create. */
// Control characters are exactly what it must refuse.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_ID_CHARS = /[/\\\u0000-\u001f\u007f]/;
/** The name of a temp file `write` creates: hidden, a UUID, `.tmp`. */
const TEMP_FILE_NAME = /^\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

export interface SweepTempFilesOptions {
  /** Only temp files not modified for this long are removed (a write in progress touches its file with every chunk). */
  readonly olderThanMs: number;
  /** Default: the current time. */
  readonly now?: Date;
}

/**
 * `write` stores `<root>/<imageId>.<16 hex>` (written to a hidden temp file, fsynced, renamed into
 * place) and answers `file://<absolute path>`. `delete` accepts only such URLs: a regular file
 * directly in `root`, its name not hidden, reached without symlinks. Everything else is
 * `DataStoreRejected` without touching that path.
 */
export class FileImageDataStore implements WritableImageDataStore {
  /** Absolute root as configured: URLs are built from it. */
  readonly root: string;
  readonly #fileMode: number;
  readonly #fsync: boolean;
  /** `root` with symlinks resolved, once known; a URL may name either form. */
  #realRoot: string | null = null;
  /** Temp files of this store's writes in progress: never swept, whatever their age. */
  readonly #writing = new Set<string>();

  constructor(options: FileImageDataStoreOptions) {
    if (typeof options?.root !== 'string' || options.root.length === 0 || options.root.includes('\0')) {
      throw new TypeError('FileImageDataStore: root must be a non-empty path');
    }
    this.root = path.resolve(options.root);
    this.#fileMode = options.fileMode ?? 0o640;
    this.#fsync = options.fsync ?? true;
  }

  /** The `file://` URL of a name in the root, as `write` answers it. */
  urlOf(fileName: string): string {
    return pathToFileURL(path.join(this.root, fileName)).href;
  }

  /**
   * Removes temp files that writes interrupted by a crash (kill -9, power loss) left in the root:
   * names of the form `.<uuid>.tmp`, regular files, not being written by this store, and not
   * modified for `olderThanMs` (so another process's write in progress on a shared folder is
   * spared). Answers how many it removed; nothing else in the root is touched.
   */
  sweepTempFiles(options: SweepTempFilesOptions): ResultAsync<{ readonly removed: number }, DataStoreError> {
    return new ResultAsync(this.#sweep(options).catch((cause: unknown) => err(toDataStoreError('sweeping temp files', cause))));
  }

  async #sweep({ olderThanMs, now = new Date() }: SweepTempFilesOptions): Promise<Result<{ readonly removed: number }, DataStoreError>> {
    let names: string[];
    try {
      names = await fs.readdir(this.root);
    } catch (cause) {
      if (errnoCode(cause) === 'ENOENT') return ok({ removed: 0 });
      return err(toDataStoreError('sweeping temp files', cause));
    }
    let removed = 0;
    for (const name of names) {
      if (!TEMP_FILE_NAME.test(name)) continue;
      const tempPath = path.join(this.root, name);
      if (this.#writing.has(tempPath)) continue;
      try {
        const stat = await fs.lstat(tempPath);
        if (!stat.isFile() || now.getTime() - stat.mtimeMs < olderThanMs) continue;
        await fs.unlink(tempPath);
        removed += 1;
      } catch (cause) {
        // Gone meanwhile (its write finished, or another sweeper): nothing to do.
        if (errnoCode(cause) !== 'ENOENT') return err(toDataStoreError('sweeping temp files', cause));
      }
    }
    return ok({ removed });
  }

  write(imageId: string, data: AsyncIterable<Uint8Array>): ResultAsync<StoredImageData, DataStoreError> {
    return new ResultAsync(this.#write(imageId, data).catch((cause: unknown) => err(toDataStoreError('write', cause))));
  }

  delete(url: string): ResultAsync<void, DataStoreError> {
    return new ResultAsync(this.#delete(url).catch((cause: unknown) => err(toDataStoreError('delete', cause))));
  }

  async #write(imageId: string, data: AsyncIterable<Uint8Array>): Promise<Result<StoredImageData, DataStoreError>> {
    const refused = checkImageId(imageId);
    if (refused !== null) return err(rejected(refused));
    const fileName = `${imageId}.${randomBytes(8).toString('hex')}`;

    try {
      await fs.mkdir(this.root, { recursive: true });
    } catch (cause) {
      return err(toDataStoreError('creating the store folder', cause));
    }
    // Hidden, so a half-written file is never mistaken for image data (and `delete` refuses it).
    const tempPath = path.join(this.root, `.${randomUUID()}.tmp`);
    const finalPath = path.join(this.root, fileName);
    let handle: fs.FileHandle | null = null;
    this.#writing.add(tempPath);
    try {
      handle = await fs.open(tempPath, 'wx', this.#fileMode);
      const md5 = createHash('md5');
      const sha512 = createHash('sha512');
      let size = 0;
      try {
        for await (const chunk of data) {
          if (!(chunk instanceof Uint8Array)) throw new TypeError('image data chunks must be Uint8Arrays');
          md5.update(chunk);
          sha512.update(chunk);
          size += chunk.byteLength;
          await writeFully(handle, chunk);
        }
      } catch (cause) {
        // The caller's stream failed (a client aborting an upload) or a write did; clean up either way.
        await discard(handle, tempPath);
        handle = null;
        return err(
          errnoCode(cause) ? toDataStoreError('write', cause) : { kind: 'DataStoreFault', message: 'reading the image data failed', cause },
        );
      }
      if (this.#fsync) await handle.sync();
      await handle.close();
      handle = null;
      await fs.rename(tempPath, finalPath);
      if (this.#fsync) await syncFolder(this.root);
      return ok({
        url: this.urlOf(fileName),
        size,
        checksum: md5.digest('hex'),
        osHashAlgo: 'sha512',
        osHashValue: sha512.digest('hex'),
      });
    } catch (cause) {
      await discard(handle, tempPath);
      return err(toDataStoreError('write', cause));
    } finally {
      this.#writing.delete(tempPath);
    }
  }

  async #delete(url: string): Promise<Result<void, DataStoreError>> {
    const located = await this.#locate(url);
    if (located.isErr()) return err(located.error);
    const filePath = located.value;

    let stat;
    try {
      stat = await fs.lstat(filePath);
    } catch (cause) {
      if (errnoCode(cause) === 'ENOENT') return ok(undefined);
      return err(toDataStoreError('delete', cause));
    }
    // We only ever create regular files; a link could point anywhere, a folder is not image data.
    if (stat.isSymbolicLink()) return err(rejected('the location is a symbolic link, not a file this store wrote'));
    if (!stat.isFile()) return err(rejected('the location is not a regular file'));
    try {
      await fs.unlink(filePath);
    } catch (cause) {
      if (errnoCode(cause) === 'ENOENT') return ok(undefined);
      return err(toDataStoreError('delete', cause));
    }
    if (this.#fsync) {
      try {
        await syncFolder(path.dirname(filePath));
      } catch {
        // The unlink happened; a folder that cannot be fsynced does not make it fail.
      }
    }
    return ok(undefined);
  }

  /** The path a URL names, if it is a plain file name directly in the root; decided without touching it. */
  async #locate(url: string): Promise<Result<string, DataStoreError>> {
    if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) return err(rejected('not a file URL of this store'));
    if (url.includes('\0')) return err(rejected('the URL contains a NUL character'));
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return err(rejected('not a valid URL'));
    }
    if (parsed.protocol !== 'file:') return err(rejected(`not a file URL (scheme ${parsed.protocol})`));
    if (parsed.hostname !== '' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
      return err(rejected('file URLs of this store have no host, query or fragment'));
    }
    let filePath: string;
    try {
      // Refuses encoded separators (%2F, %5C); dot segments, also encoded ones, were resolved by the URL parser.
      filePath = fileURLToPath(parsed);
    } catch {
      return err(rejected('not a valid file URL'));
    }
    if (filePath.includes('\0')) return err(rejected('the URL contains a NUL character'));
    filePath = path.resolve(filePath);
    const folder = path.dirname(filePath);
    const name = path.basename(filePath);
    if (name.length === 0 || name.startsWith('.')) return err(rejected('not an image file of this store'));
    if (folder !== this.root) {
      // The URL may name the root through its real path (e.g. /private/var vs /var); learning it touches only the root.
      const realRoot = await this.#resolveRealRoot();
      if (realRoot === null || folder !== realRoot) return err(rejected('the location is outside the store root'));
    }
    return ok(filePath);
  }

  async #resolveRealRoot(): Promise<string | null> {
    if (this.#realRoot !== null) return this.#realRoot;
    try {
      this.#realRoot = await fs.realpath(this.root);
      return this.#realRoot;
    } catch {
      return null;
    }
  }
}

/** Why an image id cannot become a file name, or `null` when it can. Ids are validated upstream; this store does not rely on it. */
function checkImageId(imageId: unknown): string | null {
  if (typeof imageId !== 'string' || imageId.length === 0) return 'the image id is empty';
  if (imageId.startsWith('.')) return 'the image id starts with a dot';
  if (FORBIDDEN_ID_CHARS.test(imageId)) return 'the image id contains a path separator or a control character';
  if (Buffer.byteLength(imageId, 'utf8') + SUFFIX_BYTES > NAME_MAX) return 'the image id is too long for a file name';
  return null;
}

async function writeFully(handle: fs.FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    offset += bytesWritten;
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Best effort: close and remove a temp file after a failed write. */
async function discard(handle: fs.FileHandle | null, tempPath: string): Promise<void> {
  if (handle !== null) await handle.close().catch(() => undefined);
  await fs.unlink(tempPath).catch(() => undefined);
}
