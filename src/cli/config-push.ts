import { resolve } from 'node:path';
import { ConfigError } from '#core/errors.ts';
import { defineCliCommand, EXIT } from './command.ts';
import { checkConfigStoreFlags, configStoreArgs } from './deployed-stack.ts';

export default defineCliCommand({
  meta: {
    name: 'push',
    description: 'Validate a configuration file and store it as the current one',
  },
  args: {
    file: { type: 'positional', description: 'the configuration (JSON), as for run --config' },
    ...configStoreArgs,
  },
  notes: `FILE is validated as run --config validates it, and refused, naming every bad field, before
anything is sent. It is stored exactly as written (defaults are filled in when a drill reads it)
as a new version of the object: earlier versions stay, see config show --versions.

Exit codes: 0 stored, 2 usage or configuration error (nothing stored), 3 AWS refused the request`,
  async run(flags, io) {
    checkConfigStoreFlags(flags);
    const { loadConfigFile } = await import('./config-file.ts');
    const file = resolve(flags.file as string);
    const { text, config } = await loadConfigFile(file);
    for (const { name, source } of config.targets) {
      if ('dataDir' in source) {
        throw new ConfigError(
          `target ${name} is a local PGlite directory, which a deployed drill cannot reach: drill it with run --local`,
        );
      }
    }
    const { configLocationOf, cliAwsSettings } = await import('./deployed-stack.ts');
    const location = await configLocationOf(flags);
    const [{ S3Client }, { S3ConfigStore }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('#adapters/config-store/s3.ts'),
    ]);
    const store = new S3ConfigStore(location, new S3Client(cliAwsSettings));
    const { versionId } = await store.push(text);
    const count = config.targets.length;
    const names = config.targets.map((t) => t.name).join(', ');
    io.stdout(
      `Stored ${count} ${count === 1 ? 'target' : 'targets'} (${names}) in bucket ${location.bucket}, key ${location.key}, version ${versionId ?? 'none: versioning is off on the bucket'}`,
    );
    return EXIT.PASS;
  },
});
