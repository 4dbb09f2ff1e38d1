import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from 'weft/testing';

interface Tables {
  kv: { key: string; value: number };
}

/** A write, or a nested transaction (a savepoint inside the member) that commits into it or throws. */
type Step =
  { readonly set: string; readonly value: number } | { readonly nested: readonly Step[]; readonly fail: boolean };

/** One caller's transaction: its steps, whether it throws at the end, and the turns of the event loop it yields. */
interface Member {
  readonly steps: readonly Step[];
  readonly fail: boolean;
  readonly yields: number;
}

const KEYS = ['a', 'b', 'c', 'd'];

const step: fc.Arbitrary<Step> = fc.letrec<{ step: Step }>((tie) => ({
  step: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ set: fc.constantFrom(...KEYS), value: fc.integer({ min: 0, max: 99 }) }),
    fc.record({ nested: fc.array(tie('step'), { maxLength: 3 }), fail: fc.boolean() }),
  ),
})).step;

const member: fc.Arbitrary<Member> = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 4 }),
  fail: fc.boolean(),
  yields: fc.integer({ min: 0, max: 2 }),
});

/** Members started in one tick (a wave), waves started a few turns of the event loop apart: they overlap. */
const waves = fc.array(
  fc.record({ members: fc.array(member, { minLength: 1, maxLength: 6 }), gap: fc.integer({ min: 0, max: 3 }) }),
  { minLength: 1, maxLength: 4 },
);

/** The model: a member that succeeds applies its steps alone, a failed nested step or member applies nothing. */
function apply(model: Map<string, number>, steps: readonly Step[]): void {
  for (const s of steps) {
    if ('set' in s) model.set(s.set, s.value);
    else if (!s.fail) apply(model, s.nested);
  }
}

/** The afterCommit marks the model expects from `steps`: one per write that is kept. */
function marks(prefix: string, steps: readonly Step[]): string[] {
  return steps.flatMap((s, i) => ('set' in s ? [`${prefix}.${i}`] : s.fail ? [] : marks(`${prefix}.${i}`, s.nested)));
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class Planned extends Error {}

describe('group commit model', () => {
  let db: TestDatabase<Tables>;
  let memberSavepoints = 0;

  beforeAll(async () => {
    db = await createTestDatabase<Tables>({
      file: true,
      options: {
        onQuery: (event) => {
          if (event.sql === 'savepoint weft_group_member') memberSavepoints++;
        },
      },
    });
    await sql`create table kv (key text primary key, value integer not null)`.execute(db.executor());
  });

  afterAll(async () => {
    await db.close();
  });

  /** Runs `steps` in the open transaction; a nested step is a savepoint whose planned failure is caught. */
  async function run(prefix: string, steps: readonly Step[], ran: string[]): Promise<void> {
    for (const [i, s] of steps.entries()) {
      if ('set' in s) {
        await db
          .executor()
          .insertInto('kv')
          .values({ key: s.set, value: s.value })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: s.value }))
          .execute();
        db.afterCommit(() => ran.push(`${prefix}.${i}`));
        continue;
      }
      await db
        .transaction(async () => {
          await run(`${prefix}.${i}`, s.nested, ran);
          if (s.fail) throw new Planned();
        })
        .catch((error: unknown) => {
          if (!(error instanceof Planned)) throw error;
        });
    }
  }

  it('ends as if each successful member ran alone in the order called, and each failed one not at all', async () => {
    await fc.assert(
      fc.asyncProperty(waves, async (plan) => {
        await db.executor().deleteFrom('kv').execute();
        const model = new Map<string, number>();
        const expectedMarks: string[] = [];
        const ran: string[] = [];
        const calls: Array<Promise<'committed' | 'failed'>> = [];
        let n = 0;
        for (const wave of plan) {
          for (const m of wave.members) {
            const id = `m${n++}`;
            // The model applies members in the order they were called: the queue and the connection are first come,
            // first served.
            if (!m.fail) {
              apply(model, m.steps);
              expectedMarks.push(...marks(id, m.steps));
            }
            calls.push(
              db
                .transaction(async () => {
                  for (let y = 0; y < m.yields; y++) await turn();
                  await run(id, m.steps, ran);
                  if (m.fail) throw new Planned();
                })
                .then(
                  () => 'committed' as const,
                  (error: unknown) => {
                    if (error instanceof Planned) return 'failed' as const;
                    throw error;
                  },
                ),
            );
          }
          for (let g = 0; g < wave.gap; g++) await turn();
        }
        const outcomes = await Promise.all(calls);
        expect(outcomes).toEqual(plan.flatMap((wave) => wave.members.map((m) => (m.fail ? 'failed' : 'committed'))));
        const rows = await db.executor().selectFrom('kv').selectAll().orderBy('key').execute();
        expect(rows).toEqual([...model].sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value })));
        expect([...ran].sort()).toEqual([...expectedMarks].sort());
      }),
      { numRuns: 60 },
    );
    // The members did share groups (each in a savepoint of its own), not only run one after another.
    expect(memberSavepoints).toBeGreaterThan(60);
  });
});
