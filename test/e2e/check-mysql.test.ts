import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '#core/report.ts';
import { closedPort, runCli } from './pg-server.ts';

const VARIABLE = 'RESTORE_DRILL_TEST_MYSQL_URL';
const serverUrl = process.env[VARIABLE]?.trim() || undefined;

if (serverUrl) {
  describe('restore-drill check against the MySQL-family server', () => {
    const database = `restore_drill_check_${randomBytes(3).toString('hex')}`;
    const server = new URL(serverUrl);
    const urlOf = (db: string, port = server.port || '3306') =>
      `mysql://${server.username || 'root'}@${server.hostname}:${port}/${db}`;

    beforeAll(async () => {
      const connection = await mysql.createConnection(`${serverUrl.replace(/\/$/, '')}/`);
      await connection.query(`create database ${database}`);
      await connection.query(
        `create table ${database}.orders (id int primary key, created_at datetime not null)`,
      );
      await connection.query(
        `insert into ${database}.orders values (1, utc_timestamp()), (2, utc_timestamp())`,
      );
      await connection.end();
    });
    afterAll(async () => {
      const connection = await mysql.createConnection(`${serverUrl.replace(/\/$/, '')}/`);
      await connection.query(`drop database if exists ${database}`);
      await connection.end();
    });

    it('passes a healthy database with connectivity and integrity, as JSON with --json', async () => {
      const run = await runCli(['check', '--url', urlOf(database), '--json']);

      expect(run.status).toBe(0);
      const report = JSON.parse(run.stdout) as CheckReport;
      expect(report).toMatchObject({ kind: 'check', status: 'PASS', engine: 'mysql', database });
      expect(report.checks.map((c) => c.name)).toEqual([
        'connectivity',
        'integrity',
        'integrity:read-all',
      ]);
    });

    it('is an ERROR, exit 3, naming why, when nothing listens on the port', async () => {
      const run = await runCli(['check', '--url', urlOf(database, String(await closedPort()))]);

      expect(run.status).toBe(3);
      expect(run.stdout.split('\n')[0]).toMatch(/^ERROR .*connectivity/);
    });

    it('needs the database named (exit 2), and takes only ssl-mode as a parameter', async () => {
      const bare = await runCli(['check', '--url', `mysql://root@${server.hostname}:3306`]);
      const odd = await runCli(['check', '--url', `${urlOf(database)}?sslmode=require`]);

      expect([bare.status, odd.status]).toEqual([2, 2]);
      expect(bare.stderr).toContain('a mysql:// URL needs its database');
      expect(odd.stderr).toContain('a mysql:// URL takes one parameter, ssl-mode');
    });
  });
} else {
  const notRun = `check against a MySQL-family server did not run: set ${VARIABLE} to run it`;
  console.warn(`${notRun} (e.g. ${VARIABLE}=mysql://root@127.0.0.1:3306/)`);
  describe.skip(notRun, () => {
    it('runs restore-drill check against a real MySQL-family server', () => undefined);
  });
}
