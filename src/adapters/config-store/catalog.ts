import { parseConfig, type Target } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';
import type { TargetCatalog } from '#core/ports.ts';
import type { ConfigReader } from './reader.ts';

/**
 * The targets of the configuration `config push` stored, read (and validated) at each call, so a
 * pushed change applies to the next drill without a redeploy.
 */
export class StoredTargets implements TargetCatalog {
  private readonly store: Pick<ConfigReader, 'location' | 'read'>;

  constructor(store: Pick<ConfigReader, 'location' | 'read'>) {
    this.store = store;
  }

  async targets(): Promise<Target[]> {
    const { bucket, key } = this.store.location;
    const { text, versionId } = await this.store.read();
    const what = `the stored configuration s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ''}`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${what} is not valid JSON: ${(error as Error).message}`);
    }
    return parseConfig(json, what).targets;
  }
}
