import { ConfigError } from '#core/errors.ts';
import { defineCliCommand, EXIT } from './command.ts';
import { configStoreArgs } from './deployed-stack.ts';

export default defineCliCommand({
  meta: { name: 'show', description: 'Print the stored configuration, or list its versions' },
  args: {
    version: {
      type: 'string',
      valueHint: 'ID',
      description: 'print this version instead of the current one',
    },
    versions: { type: 'boolean', description: 'list the recent versions, newest first' },
    ...configStoreArgs,
  },
  notes: `Prints the configuration on stdout exactly as it was pushed, and which version it is on stderr,
so that "restore-drill config show > drills.json" gives back the file.

Exit codes: 0 shown, 2 usage error, 3 no such configuration or version, or AWS refused the request`,
  async run(flags, io) {
    if (flags.versions && flags.version !== undefined) {
      throw new ConfigError('give --version ID or --versions, not both');
    }
    const { configLocationOf, cliAwsSettings } = await import('./deployed-stack.ts');
    const location = await configLocationOf(flags);
    const [{ S3Client }, { S3ConfigStore }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('#adapters/config-store/s3.ts'),
    ]);
    const store = new S3ConfigStore(location, new S3Client(cliAwsSettings));
    const where = `s3://${location.bucket}/${location.key}`;
    if (flags.versions) {
      const versions = await store.versions();
      if (!versions.length) io.stderr(`No versions of ${where} yet.`);
      for (const { lastModified, versionId, isLatest } of versions) {
        io.stdout(
          `${lastModified?.toISOString() ?? '-'}  ${versionId}${isLatest ? '  (current)' : ''}`,
        );
      }
      return EXIT.PASS;
    }
    const stored = await store.read(flags.version);
    io.stderr(
      `${where}, version ${stored.versionId ?? 'none'}, stored ${stored.lastModified?.toISOString() ?? 'at an unknown time'}`,
    );
    io.stdout(stored.text.replace(/\n$/, ''));
    return EXIT.PASS;
  },
});
