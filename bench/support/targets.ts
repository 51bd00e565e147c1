// The issue-9 summary: one row per figure the issue names, with library, baseline, ratio, target and whether it is met (a report, never a test).
import type { CheckpointResult } from '../cases/checkpoint.case.js';
import type { PostgresResult } from '../cases/postgres.case.js';
import type { ServiceComparison } from '../cases/service.case.js';
import type { ServiceMemoryRow } from '../cases/service-memory.case.js';
import type { ComparisonRow } from './stats.js';

/** `atLeast` / `atMost` bound the ratio; `below` bounds the library figure itself; `null` is reported without a target. */
export type Target =
  | { readonly kind: 'atLeast' | 'atMost'; readonly ratio: number }
  | { readonly kind: 'below'; readonly value: number; readonly unit: string }
  | null;

export interface TargetRow {
  readonly case: string;
  readonly library: number | null;
  readonly baseline: number | null;
  /** Library / baseline of the row's figure. */
  readonly ratio: number | null;
  readonly target: Target;
  /** null when there is no target, or no valid figure to judge. */
  readonly meets: boolean | null;
  /** False when the measurement behind the row did not do the work it should have (the figures mean nothing). */
  readonly valid: boolean;
}

/** Everything the summary is built from; a part that did not run is absent (or skipped). */
export interface TargetInputs {
  readonly service?: readonly ServiceComparison[];
  readonly postgres?: PostgresResult;
  readonly serviceMemory?: ServiceMemoryRow;
  readonly wideDelete?: ComparisonRow;
  readonly checkpoint?: CheckpointResult;
  readonly durable?: ComparisonRow;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function row(
  name: string,
  library: number | null,
  baseline: number | null,
  target: Target,
  valid: boolean,
  ratio = library !== null && baseline !== null && baseline !== 0 ? round2(library / baseline) : null,
): TargetRow {
  let meets: boolean | null = null;
  if (valid && target !== null) {
    if (target.kind === 'below') meets = library === null ? null : library < target.value;
    else if (ratio !== null && Number.isFinite(ratio)) meets = target.kind === 'atLeast' ? ratio >= target.ratio : ratio <= target.ratio;
  }
  return { case: name, library, baseline, ratio, target, meets, valid };
}

function serviceRows(label: string, comparisons: readonly ServiceComparison[]): TargetRow[] {
  return comparisons.flatMap((c) => [
    row(
      `${label}, ${c.connections} conns: req/s (median of ${c.library.runs.length})`,
      c.library.reqPerSec,
      c.baseline.reqPerSec,
      { kind: 'atLeast', ratio: 0.8 },
      c.valid,
    ),
    row(`${label}, ${c.connections} conns: p99 ms`, c.library.p99Ms, c.baseline.p99Ms, { kind: 'atMost', ratio: 1.5 }, c.valid),
    row(
      `${label}, ${c.connections} conns: deletes/s incl. relay catch-up`,
      c.library.sustainedPerSec,
      c.baseline.sustainedPerSec,
      null,
      c.valid,
    ),
  ]);
}

export function buildTargets(inputs: TargetInputs): TargetRow[] {
  const rows: TargetRow[] = [];
  if (inputs.service) rows.push(...serviceRows('service sqlite vs bare Express', inputs.service));
  if (inputs.postgres && 'comparisons' in inputs.postgres) {
    rows.push(...serviceRows('service postgres vs bare Express+pg', inputs.postgres.comparisons));
    const { scaling } = inputs.postgres;
    const one = scaling.points.find((p) => p.processes === 1)?.reqPerSec ?? null;
    for (const point of scaling.points) {
      rows.push(
        row(
          point.processes === 1
            ? `postgres scaling: 1 service process, ${scaling.connections} conns: req/s`
            : `postgres scaling: ${point.processes} service processes, ${scaling.connections} conns: req/s (baseline: 1 process)`,
          point.reqPerSec,
          point.processes === 1 ? null : one,
          null,
          scaling.valid,
        ),
      );
    }
  }
  if (inputs.serviceMemory) {
    const m = inputs.serviceMemory;
    const per = `MiB per 1M deletes (measured N = ${m.deletes.toLocaleString('en-US')}, after ${m.warmup.toLocaleString('en-US')} warm-up)`;
    rows.push(
      row(
        `service RSS growth, ${per}`,
        m.library?.rssMiBPerMillion ?? null,
        m.baseline?.rssMiBPerMillion ?? null,
        { kind: 'below', value: 30, unit: 'MiB' },
        m.valid,
        null,
      ),
    );
    rows.push(row(`service heap growth, ${per}`, m.library?.heapMiBPerMillion ?? null, null, null, m.valid, null));
  }
  if (inputs.wideDelete) {
    const w = inputs.wideDelete;
    rows.push(
      row(
        'delete 20 props/20 tags/10 members: deletes/s vs minimal tx',
        w.library.opsPerSec,
        w.baseline.opsPerSec,
        { kind: 'atLeast', ratio: 0.7 },
        w.valid,
      ),
    );
  }
  if (inputs.checkpoint) {
    // "library" = after (the checkpointer), "baseline" = before (SQLite's automatic checkpoints), same deletes.
    const c = inputs.checkpoint;
    const [before, after] = c.variants;
    if (before && after) {
      const label = 'sqlite commit (one delete), checkpointer vs automatic checkpoints:';
      rows.push(row(`${label} p99 µs`, after.summary.p99Us, before.summary.p99Us, null, c.valid));
      rows.push(row(`${label} p99.9 µs`, after.summary.p999Us, before.summary.p999Us, null, c.valid));
    }
  }
  if (inputs.durable) {
    const d = inputs.durable;
    rows.push(
      row(
        'durable: group commit vs 1 tx per delete, deletes/s at 16 in flight',
        d.library.opsPerSec,
        d.baseline.opsPerSec,
        { kind: 'atLeast', ratio: 2 },
        d.valid,
      ),
    );
  }
  return rows;
}

function targetText(target: Target): string {
  if (target === null) return 'report';
  if (target.kind === 'below') return `< ${target.value} ${target.unit}`;
  return `${target.kind === 'atLeast' ? '≥' : '≤'} ${target.ratio.toFixed(2)}×`;
}

const figure = (n: number | null) => (n === null || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

/** The rows as text columns: case, library, baseline, ratio, target, meets. */
export function targetCells(rows: readonly TargetRow[]): string[][] {
  return rows.map((r) => [
    r.case,
    figure(r.library),
    figure(r.baseline),
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    targetText(r.target),
    !r.valid ? 'INVALID' : r.meets === null ? '—' : r.meets ? 'yes' : 'no',
  ]);
}
