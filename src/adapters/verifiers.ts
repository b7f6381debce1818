import { type Engine, isMysqlFamily } from '#core/config.ts';
import type { ConnectionInfo, DatabaseVerifier } from '#core/ports.ts';

/**
 * The checks of an engine: PostgreSQL's (postgres, aurora-postgresql, with pg) or the MySQL
 * family's (mysql, mariadb, aurora-mysql, with mysql2). Each driver is loaded the first time a
 * copy of its engine is verified, so a function that bundles both starts without either and a
 * PostgreSQL drill never evaluates mysql2.
 */
export function verifierFor(engine: Engine): DatabaseVerifier {
  let made: Promise<DatabaseVerifier> | undefined;
  const load = async (): Promise<DatabaseVerifier> => {
    if (isMysqlFamily(engine)) {
      const { MysqlVerifier } = await import('#adapters/mysql/verifier.ts');
      return new MysqlVerifier();
    }
    const { PostgresVerifier } = await import('#adapters/postgres/verifier.ts');
    return new PostgresVerifier();
  };
  return {
    async verify(request) {
      made ??= load();
      return (await made).verify(request);
    },
    async suggest(connection, recoveryPoint) {
      made ??= load();
      return (await made).suggest(connection, recoveryPoint);
    },
    async tableCounts(connection) {
      made ??= load();
      return (await made).tableCounts(connection);
    },
  };
}

/**
 * One verifier for copies of every engine, for a function that verifies any target: each copy
 * is checked by its engine's verifier, as its connection names it (the RDS fleet always does).
 */
export function verifierByEngine(): DatabaseVerifier {
  const verifiers = new Map<Engine, DatabaseVerifier>();
  const of = ({ engine }: ConnectionInfo) => {
    if (!engine) {
      throw new TypeError(
        'the connection to the copy names no engine: its checks cannot be chosen',
      );
    }
    const verifier = verifiers.get(engine) ?? verifierFor(engine);
    verifiers.set(engine, verifier);
    return verifier;
  };
  return {
    verify: async (request) => of(request.connection).verify(request),
    suggest: async (connection, recoveryPoint) => of(connection).suggest(connection, recoveryPoint),
    tableCounts: async (connection) => of(connection).tableCounts(connection),
  };
}
