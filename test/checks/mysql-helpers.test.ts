import { describe, expect, it } from 'vitest';
import { judgeCheckTable } from '#adapters/mysql/check-table.ts';
import { normalizeType, typeMatches, withoutWidth } from '#adapters/mysql/column-types.ts';
import { readStatement } from '#adapters/mysql/read-statement.ts';
import { productOf, quoteName } from '#adapters/mysql/verifier.ts';

describe('readStatement: what an assertion may send to a MySQL-family server', () => {
  const allowed = (sql: string, options?: { backslashEscapes?: boolean }) => {
    const result = readStatement(sql, options);
    if (!result.ok) throw new Error(`refused ${JSON.stringify(sql)}: ${result.reason}`);
    return result.sql;
  };
  const refused = (sql: string, options?: { backslashEscapes?: boolean }) => {
    const result = readStatement(sql, options);
    if (result.ok) throw new Error(`allowed ${JSON.stringify(sql)}`);
    return result.reason;
  };

  it('lets one read statement through, as written, a trailing semicolon dropped', () => {
    expect(allowed('select count(*) from orders')).toBe('select count(*) from orders');
    expect(allowed('  SELECT 1 ;  ')).toBe('  SELECT 1');
    expect(allowed('select 1; -- that is all')).toBe('select 1');
    expect(allowed('(select 1) union (select 2)')).toBe('(select 1) union (select 2)');
    expect(allowed('table orders')).toBe('table orders');
    expect(allowed('values row(1, 2)')).toBe('values row(1, 2)');
    expect(
      allowed(
        'with recursive g (n) as (select 1 union all select n + 1 from g where n < 5), h as (select 2) select count(*) from g, h',
      ),
    ).toMatch(/^with recursive/);
    expect(allowed('with t as (select 1 as x) (select x from t)')).toMatch(/^with t/);
  });

  it('reads strings, quoted names and comments as the server does', () => {
    expect(allowed("select 'a; delete from t' from orders")).toMatch(/delete/);
    expect(allowed("select 'it''s; fine', \"x;y\", `we``ird;` from t")).toMatch(/fine/);
    expect(allowed("select 'a\\'; delete from t; -- ' from t")).toMatch(/delete/);
    expect(allowed('select 1 /* ; delete from t */ from t')).toMatch(/delete/);
    expect(allowed('select 1 -- ; delete\nfrom t')).toMatch(/from t$/);
    expect(allowed('select 1 # ; delete\nfrom t')).toMatch(/from t$/);
    // `--` without a space after it is two minus signs, not a comment.
    expect(allowed('select 1--1')).toBe('select 1--1');
    expect(allowed('select o.into, `into` from orders o')).toMatch(/o\.into/);
    expect(refused('select 1--1; delete from t')).toBe('it is more than one statement');
  });

  it('follows the server when backslashes do not escape (NO_BACKSLASH_ESCAPES)', () => {
    const sneaky = "select 'a\\'; delete from t; -- '";
    expect(allowed(sneaky)).toBe(sneaky);
    expect(refused(sneaky, { backslashEscapes: false })).toBe('it is more than one statement');
  });

  it('refuses anything but a read statement, naming why', () => {
    expect(refused('delete from orders')).toBe(
      'it starts with DELETE, not SELECT, WITH, TABLE or VALUES',
    );
    for (const sql of [
      "insert into orders values (1, 'x')",
      "update orders set note = 'x'",
      'truncate table orders',
      'drop table orders',
      'create table x (y int)',
      'set session transaction read write',
      'call sneaky()',
      'do sleep(1)',
      'handler orders open',
      'lock tables orders read',
      'start transaction',
      'commit',
      'explain analyze select 1',
      'show tables',
    ]) {
      expect(refused(sql), sql).toMatch(/^it starts with [A-Z]+, not SELECT/);
    }
    expect(refused('')).toBe('it is empty');
    expect(refused('  ; ')).toBe('it is empty');
    expect(refused('-- nothing')).toBe('it is empty');
    expect(refused(';select 1')).toBe('it is more than one statement');
  });

  it('refuses a second statement, INTO, and comments the server runs or obeys', () => {
    expect(refused('select 1; delete from orders')).toBe('it is more than one statement');
    expect(refused('select 1;;')).toBe('it is more than one statement');
    expect(refused('commit; delete from orders')).toBe('it is more than one statement');
    expect(refused("select * from orders into outfile '/tmp/x'")).toBe(
      'it has INTO, which writes to a file or to variables',
    );
    expect(refused('select count(*) into @n from orders')).toMatch(/INTO/);
    expect(refused('table orders into dumpfile "/tmp/x"')).toMatch(/INTO/);
    expect(refused('select 1 /*! ; delete from orders */')).toMatch(/runs as SQL/);
    expect(refused('select 1 /*!50000 , sleep(1) */')).toMatch(/runs as SQL/);
    expect(refused('select 1 /*M! , 2 */')).toMatch(/runs as SQL/);
    expect(refused('select /*+ MAX_EXECUTION_TIME(999999) */ 1')).toMatch(/optimizer hint/);
  });

  it('refuses a WITH that leads to a write', () => {
    expect(refused('with gone as (select id from orders) delete from orders')).toBe(
      'its WITH clause leads to DELETE, not to a SELECT',
    );
    expect(refused('with x as (select 1) update orders set note = 1')).toMatch(/leads to UPDATE/);
    expect(refused('with x select 1')).toBe('its WITH clause does not read as one');
  });

  it('refuses text it cannot read to the end', () => {
    expect(refused("select 'open")).toBe('it has an unclosed string');
    expect(refused('select `open')).toBe('it has a quoted name that is never closed');
    expect(refused('select 1 /* open')).toBe('it has a comment that is never closed');
    expect(refused('with x as (select 1 select 1')).toBe('its parentheses do not balance');
  });
});

describe('judgeCheckTable: CHECK TABLE rows, per table', () => {
  const row = (Table: string, Msg_type: string, Msg_text: string) => ({
    Table,
    Op: 'check',
    Msg_type,
    Msg_text,
  });

  it('takes status OK and "Table is already up to date" as healthy', () => {
    const verdicts = judgeCheckTable(
      ['shop.a', 'shop.b'],
      [row('shop.a', 'status', 'OK'), row('shop.b', 'status', 'Table is already up to date')],
    );
    expect(verdicts.map((v) => v.state)).toEqual(['ok', 'ok']);
  });

  it('breaks a table on an error row or a status other than OK, keeping what it said', () => {
    const verdicts = judgeCheckTable(
      ['shop.broken', 'shop.failed', 'shop.fine'],
      [
        row('shop.broken', 'error', 'Wrong bytesec: 255-255-255 at linkstart: 13340'),
        row('shop.broken', 'error', 'Corrupt'),
        row('shop.failed', 'Error', "Table 'shop.failed' doesn't exist"),
        row('shop.failed', 'status', 'Operation failed'),
        row('shop.fine', 'status', 'OK'),
      ],
    );
    expect(verdicts).toEqual([
      {
        table: 'shop.broken',
        state: 'broken',
        problems: ['Wrong bytesec: 255-255-255 at linkstart: 13340', 'Corrupt'],
        warnings: [],
      },
      {
        table: 'shop.failed',
        state: 'broken',
        problems: ["Table 'shop.failed' doesn't exist", 'Operation failed'],
        warnings: [],
      },
      { table: 'shop.fine', state: 'ok', problems: [], warnings: [] },
    ]);
  });

  it('reports warnings without breaking the table, unless they say corrupt or crashed', () => {
    const [unclosed, crashed, innodb] = judgeCheckTable(
      ['shop.unclosed', 'shop.crashed', 'shop.innodb'],
      [
        row('shop.unclosed', 'warning', "1 client is using or hasn't closed the table properly"),
        row('shop.unclosed', 'status', 'OK'),
        row('shop.crashed', 'warning', 'Table is marked as crashed'),
        row('shop.crashed', 'status', 'OK'),
        row('shop.innodb', 'Warning', 'InnoDB: The B-tree of index PRIMARY is corrupted.'),
        row('shop.innodb', 'status', 'OK'),
      ],
    );
    expect(unclosed).toMatchObject({
      state: 'ok',
      warnings: ["1 client is using or hasn't closed the table properly"],
    });
    expect(crashed).toMatchObject({ state: 'broken', problems: ['Table is marked as crashed'] });
    expect(innodb?.state).toBe('broken');
  });

  it('counts a table whose engine cannot be checked apart, and one it says nothing of', () => {
    const [memory, silent] = judgeCheckTable(
      ['shop.cache', 'shop.silent'],
      [row('shop.cache', 'note', "The storage engine for the table doesn't support check")],
    );
    expect(memory?.state).toBe('unsupported');
    expect(silent?.state).toBe('unanswered');
  });

  it('matches table names without regard to case (lower_case_table_names)', () => {
    const [verdict] = judgeCheckTable(['Shop.Orders'], [row('shop.orders', 'status', 'OK')]);
    expect(verdict?.state).toBe('ok');
  });
});

describe('typeMatches: a column type as information_schema gives it', () => {
  const column = (columnType: string, dataType = columnType.replace(/[( ].*$/, '')) => ({
    columnType,
    dataType,
  });

  it('matches the full column type, the data type, or the type without its display width', () => {
    expect(typeMatches('varchar(100)', column('varchar(100)'))).toBe(true);
    expect(typeMatches('varchar', column('varchar(100)'))).toBe(true);
    expect(typeMatches('VARCHAR( 100 )', column('varchar(100)'))).toBe(true);
    expect(typeMatches('varchar(50)', column('varchar(100)'))).toBe(false);
    expect(typeMatches('text', column('varchar(100)'))).toBe(false);
    expect(typeMatches('int', column('int(11)'))).toBe(true);
    expect(typeMatches('int unsigned', column('int(10) unsigned'))).toBe(true);
    expect(typeMatches('int unsigned', column('int(10)'))).toBe(false);
    expect(typeMatches('bigint unsigned', column('bigint unsigned'))).toBe(true);
    expect(typeMatches('decimal(10,2)', column('decimal(10,2)'))).toBe(true);
    expect(typeMatches('datetime(3)', column('datetime(3)'))).toBe(true);
    expect(typeMatches('datetime', column('datetime(3)'))).toBe(true);
    expect(typeMatches("enum('a', 'b')", column("enum('a','b')"))).toBe(true);
  });

  it('takes the synonyms MySQL stores as another type', () => {
    expect(typeMatches('integer', column('int(11)'))).toBe(true);
    expect(typeMatches('INTEGER UNSIGNED', column('int unsigned'))).toBe(true);
    expect(typeMatches('boolean', column('tinyint(1)'))).toBe(true);
    expect(typeMatches('bool', column('tinyint(4)'))).toBe(false);
    expect(typeMatches('numeric(10,2)', column('decimal(10,2)'))).toBe(true);
    expect(typeMatches('double precision', column('double'))).toBe(true);
    expect(typeMatches('character varying(20)', column('varchar(20)'))).toBe(true);
    // MariaDB's JSON is LONGTEXT with a json_valid check.
    expect(typeMatches('json', column('longtext'))).toBe(true);
    expect(typeMatches('json', column('json'))).toBe(true);
  });

  it('normalizes case and spacing', () => {
    expect(normalizeType('  Decimal ( 10 , 2 )  UNSIGNED ')).toBe('decimal(10,2) unsigned');
  });

  it('matches a column type without its display width (as suggest writes it) with and without it', () => {
    const types = ['int(11)', 'bigint(20) unsigned', 'tinyint(1)', 'smallint(5) unsigned zerofill'];
    for (const type of [
      ...types,
      'decimal(10,2)',
      "enum('a','b')",
      'timestamp(3)',
      'varchar(40)',
    ]) {
      const suggested = withoutWidth(type);
      // As MariaDB and MySQL 5.7 show it, and as MySQL 8 does, without the width.
      expect(typeMatches(suggested, column(type)), type).toBe(true);
      expect(typeMatches(suggested, column(suggested)), type).toBe(true);
    }
    expect(types.map(withoutWidth)).toEqual([
      'int',
      'bigint unsigned',
      'tinyint',
      'smallint unsigned zerofill',
    ]);
  });
});

describe('productOf: the server as a person names it', () => {
  it('names MariaDB, MySQL and Aurora MySQL with their versions', () => {
    expect(productOf('10.11.19-MariaDB-0+deb12u1')).toBe('MariaDB 10.11.19');
    expect(productOf('8.0.36')).toBe('MySQL 8.0.36');
    expect(productOf('8.4.3-log')).toBe('MySQL 8.4.3');
    expect(productOf('8.0.mysql_aurora.3.05.2')).toBe('Aurora MySQL 3.05.2 (MySQL 8.0)');
    expect(productOf('5.7.mysql_aurora.2.11.2')).toBe('Aurora MySQL 2.11.2 (MySQL 5.7)');
  });
});

describe('quoteName', () => {
  it('quotes each part in backticks, doubling any backtick so a name cannot close its quotes', () => {
    expect(quoteName('orders')).toBe('`orders`');
    expect(quoteName('sales.orders')).toBe('`sales`.`orders`');
    expect(quoteName('we`ird')).toBe('`we``ird`');
    expect(quoteName('x`; drop table t; --')).toBe('`x``; drop table t; --`');
  });
});
