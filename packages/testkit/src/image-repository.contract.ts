// The contract of ImageRepository and ImageCatalog every storage adapter must pass: the sum of its parts (authoring, listing, delete, decision, restore, purge), and the input the catalog refuses.
import { describeImageCatalogInputContract } from './image-catalog-input.contract.js';
import { authoringPart } from './image-repository/authoring.contract.js';
import { deleteDecisionPart } from './image-repository/delete-decision.contract.js';
import { deletePart } from './image-repository/delete.contract.js';
import { describeImageRepositoryParts } from './image-repository/image-repository-suite.js';
import { listingPart } from './image-repository/listing.contract.js';
import { purgePart } from './image-repository/purge.contract.js';
import { restorePart } from './image-repository/restore.contract.js';
import type { StorageHarnessFactory } from './storage-harness.js';

/**
 * Registers the whole ImageRepository & ImageCatalog contract for an adapter. `factory` is called
 * before every test and must return an empty store. Each part can also run alone
 * (`describeImageRepositoryAuthoring`, `…Listing`, `…Delete`, `…DeleteDecision`, `…Restore`, `…Purge`).
 */
export function describeImageRepositoryContract(name: string, factory: StorageHarnessFactory): void {
  describeImageRepositoryParts(name, factory, [authoringPart, listingPart, deletePart, deleteDecisionPart, restorePart, purgePart]);
  describeImageCatalogInputContract(name, factory);
}
