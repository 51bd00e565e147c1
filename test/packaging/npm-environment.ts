// How the packing test runs plain npm: pnpm's own variables removed, better-sqlite3 built from source, and whether the registry answers at all.
import { availableParallelism } from 'node:os';
import { runProcess } from '@image-catalog/testkit/process';

/** Variables `pnpm test` sets for its scripts; plain npm in another project must not see them. */
const PNPM_RUN_VARIABLES =
  /^(npm_(lifecycle|package)_|npm_(command|execpath|node_execpath)$|npm_config_(user_agent|verify_deps_before_run)$|pnpm_|PNPM_)/;

/**
 * This process's environment without pnpm's run variables. better-sqlite3's install script first
 * tries to download a prebuilt binary, which these machines cannot reach (it only costs time):
 * `npm_config_build_from_source` skips that attempt unless the caller chose otherwise, and
 * `JOBS` lets node-gyp compile its two sources in parallel.
 */
export function npmEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!PNPM_RUN_VARIABLES.test(key)) env[key] = value;
  env['npm_config_build_from_source'] ??= 'true';
  env['JOBS'] ??= String(availableParallelism());
  return env;
}

/** `null` when `npm ping` reaches the configured registry; otherwise what went wrong. */
export async function npmRegistryProblem(): Promise<string | null> {
  try {
    const run = await runProcess('npm', ['ping', '--fetch-retries=1', '--fetch-timeout=15000'], {
      env: npmEnvironment(),
      timeoutMs: 45_000,
    });
    if (run.code === 0) return null;
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('npm error') && !line.includes('complete log'));
    return errors.slice(0, 2).join(' / ') || `npm ping exited ${run.code}`;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
}
