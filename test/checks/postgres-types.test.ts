import { describe, expect, it } from 'vitest';
import { parseTypeName, typeMatches } from '#adapters/postgres/types.ts';

describe('typeMatches', () => {
  it('takes the common aliases for the type format_type names', () => {
    const same: [string, string][] = [
      ['int', 'integer'],
      ['int4', 'integer'],
      ['INTEGER', 'integer'],
      ['serial', 'integer'],
      ['int8', 'bigint'],
      ['bigserial', 'bigint'],
      ['int2', 'smallint'],
      ['float8', 'double precision'],
      ['float', 'double precision'],
      ['float4', 'real'],
      ['bool', 'boolean'],
      ['decimal', 'numeric'],
      ['timestamptz', 'timestamp with time zone'],
      ['timestamp', 'timestamp without time zone'],
      ['timetz', 'time with time zone'],
      ['time', 'time without time zone'],
      ['varbit', 'bit varying'],
      ['pg_catalog.text', 'text'],
      ['  Text ', 'text'],
    ];
    for (const [expected, actual] of same)
      expect(typeMatches(expected, actual), expected).toBe(true);
    expect(typeMatches('int', 'bigint')).toBe(false);
    expect(typeMatches('bigint', 'integer')).toBe(false);
    expect(typeMatches('timestamp', 'timestamp with time zone')).toBe(false);
    expect(typeMatches('timestamptz', 'timestamp without time zone')).toBe(false);
    expect(typeMatches('text', 'character varying')).toBe(false);
    expect(typeMatches('json', 'jsonb')).toBe(false);
  });

  it('matches any length or precision when none is named, only the named one otherwise', () => {
    expect(typeMatches('varchar', 'character varying(40)')).toBe(true);
    expect(typeMatches('varchar', 'character varying')).toBe(true);
    expect(typeMatches('varchar(40)', 'character varying(40)')).toBe(true);
    expect(typeMatches('character varying(40)', 'character varying(40)')).toBe(true);
    expect(typeMatches('varchar(20)', 'character varying(40)')).toBe(false);
    expect(typeMatches('varchar(40)', 'character varying')).toBe(false);
    expect(typeMatches('char(3)', 'character(3)')).toBe(true);
    expect(typeMatches('char', 'character(3)')).toBe(true);
    expect(typeMatches('numeric', 'numeric(12,2)')).toBe(true);
    expect(typeMatches('numeric(12, 2)', 'numeric(12,2)')).toBe(true);
    expect(typeMatches('decimal(12,2)', 'numeric(12,2)')).toBe(true);
    expect(typeMatches('numeric(10,2)', 'numeric(12,2)')).toBe(false);
    expect(typeMatches('timestamptz', 'timestamp(3) with time zone')).toBe(true);
    expect(typeMatches('timestamptz(3)', 'timestamp(3) with time zone')).toBe(true);
    expect(typeMatches('timestamp(3) with time zone', 'timestamp(3) with time zone')).toBe(true);
    expect(typeMatches('timestamptz(6)', 'timestamp(3) with time zone')).toBe(false);
    expect(typeMatches('interval', 'interval day to second(3)')).toBe(true);
    expect(typeMatches('interval day to second(3)', 'interval day to second(3)')).toBe(true);
    expect(typeMatches('interval year', 'interval day to second(3)')).toBe(false);
    expect(typeMatches('float(24)', 'real')).toBe(true);
    expect(typeMatches('float(53)', 'double precision')).toBe(true);
    expect(typeMatches('float(53)', 'real')).toBe(false);
  });

  it('compares arrays by their element type, whatever the dimensions written', () => {
    expect(typeMatches('int[]', 'integer[]')).toBe(true);
    expect(typeMatches('int[][]', 'integer[]')).toBe(true);
    expect(typeMatches('int[3]', 'integer[]')).toBe(true);
    expect(typeMatches('integer array', 'integer[]')).toBe(true);
    expect(typeMatches('varchar(10)[]', 'character varying(10)[]')).toBe(true);
    expect(typeMatches('int', 'integer[]')).toBe(false);
    expect(typeMatches('int[]', 'integer')).toBe(false);
  });

  it('names a type of the user by itself, or with its own schema', () => {
    expect(typeMatches('mood', 'mood', 'public')).toBe(true);
    expect(typeMatches('mood', 'sales.mood', 'sales')).toBe(true);
    expect(typeMatches('public.mood', 'mood', 'public')).toBe(true);
    expect(typeMatches('sales.mood', 'sales.mood', 'sales')).toBe(true);
    expect(typeMatches('Mood', '"Mood"', 'public')).toBe(true);
    expect(typeMatches('sales.mood', 'mood', 'public')).toBe(false);
    expect(typeMatches('feeling', 'mood', 'public')).toBe(false);
  });

  it('reads a name as PostgreSQL spells it, its modifier and array apart', () => {
    expect(parseTypeName('VARCHAR( 40 )[]')).toEqual({
      base: 'character varying',
      modifier: '(40)',
      array: '[]',
    });
    expect(parseTypeName('timestamp(3) with time zone')).toEqual({
      base: 'timestamp with time zone',
      modifier: '(3)',
      array: '',
    });
  });
});
