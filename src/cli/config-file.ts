import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type DrillConfig, parseConfig, type Target } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';

/** A configuration file as written, and the configuration it holds once validated. */
export interface ConfigFile {
  text: string;
  config: DrillConfig;
}

/**
 * Reads and validates a configuration file; an unreadable file, bad JSON or any bad field is a
 * ConfigError naming it. The same reading serves `run --config` and `config push`.
 */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return { text, config: parseConfig(json, `config file ${path}`) };
}

export async function readConfigFile(path: string): Promise<DrillConfig> {
  const { config } = await loadConfigFile(path);
  // Relative source paths are relative to the config file, wherever the command runs from.
  for (const target of config.targets) {
    const { source } = target;
    if ('dataDir' in source) source.dataDir = resolve(dirname(path), source.dataDir);
  }
  return config;
}

/** The targets of a config file, or only the one `--target` names. */
export async function configuredTargets(file: string, only: string | undefined): Promise<Target[]> {
  const { targets } = await readConfigFile(resolve(file));
  if (only === undefined) return targets;
  const chosen = targets.filter((t) => t.name === only);
  if (!chosen.length) throw new ConfigError(`no target named "${only}" in ${file}`);
  return chosen;
}

/**
 * Every target suits the backend the run uses: checked with the rest of the file, so a mixed
 * file fails before anything runs.
 */
export function requireBackend(targets: Target[], local: boolean): void {
  for (const { name, source } of targets) {
    if (local && !('dataDir' in source)) {
      throw new ConfigError(
        `target ${name} has an Amazon RDS source (${JSON.stringify(source)}); run --local drills PGlite data directories only: run it without --local`,
      );
    }
    if (!local && 'dataDir' in source) {
      throw new ConfigError(`target ${name} is a local PGlite directory: drill it with --local`);
    }
  }
}
