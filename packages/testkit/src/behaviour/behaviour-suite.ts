// The DeleteImage behaviour suite's frame: per policy mode, one fresh harness per test and the use case built over it.
import {
  DeleteImage,
  silentLogger,
  type DeleteImageFailure,
  type DeleteImageOptions,
  type DeletePolicy,
  type Image,
  type ImageRepository,
  type Principal,
} from '@image-catalog/core';
import { DataDeletionWorker } from '@image-catalog/core/workers';
import { expect } from 'vitest';
import { expectErr } from '../expect-result.js';
import { FIXTURE_OWNER } from '../fixtures/image-fixture.js';
import type { RecordingImageDataStore } from '../fixtures/recording-image-data-store.js';
import { fixedClock, secondsAfter, TEST_EPOCH } from '../fixtures/test-clock.js';
import { imageSnapshot } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeParts, type SuitePart } from '../suite-parts.js';
import { useHarness } from '../use-harness.js';
import type { DeletePolicyMode } from './policy-modes.js';

/** When the use case deletes (its clock); fixtures are created earlier. */
export const NOW = secondsAfter(TEST_EPOCH, 60);
/** The owning project of the fixtures. */
export const OWNER = FIXTURE_OWNER;
/** A project that does not own them. */
export const OTHER = 'project-other';

/** How a test builds the use case: DeleteImage's own options, plus what it runs over. */
export interface UseCaseOptions extends DeleteImageOptions {
  /** Runs data deletion inline through this store (immediate mode). */
  readonly dataStore?: RecordingImageDataStore;
  /** Replaces the harness's repository, e.g. with a failing proxy. */
  readonly repository?: ImageRepository;
  /** Replaces the mode's policy. */
  readonly policy?: DeletePolicy;
}

/** What each part of the behaviour suite works with, for one policy mode. */
export interface BehaviourSuite {
  /** The current test's harness. */
  readonly h: () => StorageHarness;
  readonly mode: DeletePolicyMode;
  /** The use case over the harness's repository, with a fixed clock at `NOW` and the mode's policy. */
  readonly deleteImage: (options?: UseCaseOptions) => DeleteImage;
  /** Builds the use case with `options` and deletes `imageId` as `principal`. */
  readonly execute: (imageId: string, principal: Principal, options?: UseCaseOptions) => ReturnType<DeleteImage['execute']>;
  /** Runs the delete expecting `kind`, and proves the image and its jobs and events did not change. */
  readonly expectRefused: (
    image: Image,
    principal: Principal,
    kind: DeleteImageFailure['kind'],
    options?: UseCaseOptions,
  ) => Promise<DeleteImageFailure>;
}

/** A part of the behaviour suite. */
export type BehaviourPart = SuitePart<BehaviourSuite>;

/** Registers `parts` of the behaviour suite once per policy mode. */
export function describeDeleteImageParts(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[],
  parts: readonly BehaviourPart[],
): void {
  for (const mode of modes) describeParts(`${name}: DeleteImage behaviour (${mode.label})`, () => useBehaviourSuite(factory, mode), parts);
}

/** Registers the harness hooks in the current describe and builds the suite's helpers over it. */
function useBehaviourSuite(factory: StorageHarnessFactory, mode: DeletePolicyMode): BehaviourSuite {
  const h = useHarness(factory);
  const clock = fixedClock(NOW);

  function deleteImage(options: UseCaseOptions = {}): DeleteImage {
    const { dataStore, repository, policy, ...useCaseOptions } = options;
    const worker = dataStore ? new DataDeletionWorker(dataStore, h().jobs, clock, silentLogger, { backoff: { random: () => 0 } }) : null;
    return new DeleteImage(repository ?? h().images, policy ?? mode.policy, clock, worker, silentLogger, useCaseOptions);
  }

  const execute = (imageId: string, principal: Principal, options: UseCaseOptions = {}) =>
    deleteImage(options).execute({ imageId, principal });

  /** Runs the delete expecting `kind`, and proves the image and its jobs and events did not change. */
  async function expectRefused(
    image: Image,
    principal: Principal,
    kind: DeleteImageFailure['kind'],
    options: UseCaseOptions = {},
  ): Promise<DeleteImageFailure> {
    const before = await imageSnapshot(h(), image.id);
    const error = await expectErr(execute(image.id, principal, options));
    expect(error.kind).toBe(kind);
    expect(await imageSnapshot(h(), image.id)).toEqual(before);
    return error;
  }

  return { h, mode, deleteImage, execute, expectRefused };
}
