import { createServer, type AddressInfo, type Server } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError, createDatabase } from 'weft/internal';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';

const postgres = await postgresAvailableForTests();

/** The test server's URL with a query string. */
function withQuery(query: string): string {
  const url = new URL(postgresTestUrl());
  url.search = query;
  return url.toString();
}

/** Opens `url` and returns how it failed and how long that took. */
async function refusal(url: string): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await createDatabase({ url, postgres: { pool: { connectTimeoutMs: 2000 } } }).then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe('query parameters of a PostgreSQL URL', () => {
  it('refuses a parameter it does not document with one ConfigError naming it, its value and what is accepted', async () => {
    const { error, ms } = await refusal(withQuery('options=-c%20search_path%3Delsewhere'));
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('"options"');
    expect(message).toContain('"-c search_path=elsewhere"');
    expect(message).toMatch(/accepted: sslmode \(disable, verify-full\), application_name/);
    // A search_path belongs to the setting made for it.
    expect(message).toContain('postgres.schema');
    expect(ms).toBeLessThan(1000);
  });

  it('names every refused parameter in one message and never shows a password', async () => {
    const url = 'postgres://game:hunter2@127.0.0.1:5432/test?host=/nonexistent&password=swordfish&ssl=true';
    const { error } = await refusal(url);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/"host" \(value "\/nonexistent"\).*"password" \(value "\*\*\*"\).*"ssl" \(value "true"\)/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('swordfish');
  });

  it('never shows a password given as a query parameter of a URL it cannot parse', async () => {
    const { error } = await refusal('postgres://game:hunter2@127.0.0.1:99999/test?password=swordfish');
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('postgres://game:***@127.0.0.1:99999/test?password=***');
  });

  it('refuses an sslmode it does not document, saying which ones it takes', async () => {
    const { error } = await refusal(withQuery('sslmode=require'));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/"sslmode" \(value "require"\).*sslmode \(disable, verify-full\)/);
  });

  it('refuses a parameter given twice', async () => {
    const { error } = await refusal(withQuery('sslmode=disable&sslmode=verify-full'));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/"sslmode" is given 2 times/);
  });

  it.runIf(postgres)('hands the documented parameters to the driver', async () => {
    await using db = await createDatabase(withQuery('sslmode=disable&application_name=weft_settings_test'));
    const { rows } = await sql<{ name: string }>`select current_setting('application_name') as name`.execute(
      db.executor(),
    );
    expect(rows[0]?.name).toBe('weft_settings_test');
  });

  describe('sslmode=verify-full against a server without TLS', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      // Answers PostgreSQL's SSLRequest with "N": this server does not speak TLS.
      server = createServer((socket) => {
        socket.once('data', () => socket.end('N'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('stops the start with an UnavailableError naming the target, quickly', async () => {
      const { error, ms } = await refusal(`postgres://game:hunter2@127.0.0.1:${port}/test?sslmode=verify-full`);
      expect(error).toBeInstanceOf(UnavailableError);
      const message = (error as Error).message;
      expect(message).toContain(`PostgreSQL at 127.0.0.1:${port}/test as game is unavailable`);
      expect(message).toContain('does not support SSL');
      expect(message).not.toContain('hunter2');
      expect(ms).toBeLessThan(1000);
    });
  });
});
