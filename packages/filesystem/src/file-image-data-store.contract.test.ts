import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeImageDataStoreContract } from '@image-catalog/testkit';
import { FileImageDataStore } from './file-image-data-store.js';

describeImageDataStoreContract('FileImageDataStore', async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'image-catalog-fs-contract-'));
  const store = new FileImageDataStore({ root: path.join(base, 'images') });
  return {
    store,
    exists: (url: string) => existsSync(fileURLToPath(url)),
    missingUrl: (imageId: string) => store.urlOf(`${imageId}.0000000000000000`),
    foreignUrls: [
      'https://data.invalid/images/1',
      'fixture://images/1/0',
      'not a url',
      '',
      pathToFileURL(path.join(base, 'elsewhere')).href,
      `${pathToFileURL(store.root).href}/../elsewhere`,
    ],
    close: () => fs.rm(base, { recursive: true, force: true }),
  };
});
