import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { ValidationManager } from '../src/integration/internal.js';
import type { BenchSuite } from './suite.js';

const monsterSlain = z.object({
  eventId: z.string().min(1).max(64),
  monsterId: z.string().min(1).max(64),
  killerId: z.string().min(1).max(64),
  level: z.int().min(1).max(100),
  xp: z.int().min(0).max(1_000_000),
  position: z.object({
    x: z.number().min(-10_000).max(10_000),
    y: z.number().min(-10_000).max(10_000),
    zone: z.string().max(32),
  }),
  tags: z.array(z.string().max(24)).max(16),
  rarity: z.enum(['common', 'uncommon', 'rare', 'epic', 'legendary']),
});

const valid = {
  eventId: '01936f2e-7c4b-7d1a-9f00-5a1b2c3d4e5f',
  monsterId: 'wolf_alpha',
  killerId: 'player_4711',
  level: 12,
  xp: 340,
  position: { x: 120.5, y: -48.25, zone: 'dark_forest' },
  tags: ['pack_leader', 'night', 'quest_target'],
  rarity: 'rare',
};
const invalid = { ...valid, level: 0, position: { ...valid.position, x: 'east' }, rarity: 'mythic' };

/** A game event payload through Weft's validateData, bare Zod safeParse, and a compiled Ajv validator. */
export function validationSuite(): Promise<BenchSuite> {
  const validation = new ValidationManager();
  validation.registerSchema('combat.monster_slain', monsterSlain);
  const ajv = new Ajv2020({ allErrors: false });
  const ajvValidate = ajv.compile(validation.toJSONSchema('combat.monster_slain'));
  if (!ajvValidate(valid) || ajvValidate(invalid)) throw new Error('the Ajv peer does not judge like the Zod schema');
  if (!validation.validate('combat.monster_slain', valid) || validation.validate('combat.monster_slain', invalid))
    throw new Error('validateData misjudges');

  let sink = 0;
  return Promise.resolve({
    name: 'game event payload validation (combat.monster_slain)',
    tasks: {
      'bare Zod safeParse, valid': () => {
        sink += monsterSlain.safeParse(valid).success ? 1 : 0;
      },
      'Weft validateData, valid': () => {
        sink += validation.validateData('combat.monster_slain', valid).ok ? 1 : 0;
      },
      'Ajv compiled, valid': () => {
        sink += ajvValidate(valid) ? 1 : 0;
      },
      'bare Zod safeParse, invalid': () => {
        sink += monsterSlain.safeParse(invalid).success ? 1 : 0;
      },
      'Weft validateData, invalid': () => {
        sink += validation.validateData('combat.monster_slain', invalid).ok ? 1 : 0;
      },
    },
    ratios: [
      {
        label: 'Weft validateData / bare Zod, valid (limits included)',
        task: 'Weft validateData, valid',
        baseline: 'bare Zod safeParse, valid',
        target: 1.3,
      },
      {
        label: 'Weft validateData / bare Zod, invalid',
        task: 'Weft validateData, invalid',
        baseline: 'bare Zod safeParse, invalid',
      },
      { label: 'Ajv / bare Zod, valid', task: 'Ajv compiled, valid', baseline: 'bare Zod safeParse, valid' },
    ],
    close() {
      if (sink < 0) throw new Error('unreachable: keeps the results alive');
      return Promise.resolve();
    },
  });
}
