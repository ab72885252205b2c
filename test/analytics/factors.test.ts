import { factorLevel, groupByFactors, lastStageOfKind, type FactorSource } from '../../src/analytics';

const run = (model: string, lab: string, stages: FactorSource['stages']): FactorSource => ({ model, lab, stages });

describe('factor levels', () => {
  const twoPreference = run('llama', 'lab-a', [
    { kind: 'base', algorithm: null, dataset: null },
    { kind: 'sft', algorithm: 'sft', dataset: 'wildchat' },
    { kind: 'preference', algorithm: 'dpo', dataset: 'uf' },
    { kind: 'sft', algorithm: 'sft', dataset: 'tulu' },
    { kind: 'preference', algorithm: 'simpo', dataset: 'hh' },
  ]);

  it('reads ALGORITHM and DATASET of the last stage of the kind, SFT_DATASET of the last sft stage', () => {
    expect(lastStageOfKind(twoPreference.stages, 'preference')?.algorithm).toBe('simpo');
    expect(factorLevel(twoPreference, 'ALGORITHM', 'preference')).toBe('simpo');
    expect(factorLevel(twoPreference, 'DATASET', 'preference')).toBe('hh');
    expect(factorLevel(twoPreference, 'SFT_DATASET', 'preference')).toBe('tulu');
    expect(factorLevel(twoPreference, 'ALGORITHM', 'sft')).toBe('sft');
    expect(factorLevel(twoPreference, 'MODEL', 'preference')).toBe('llama');
    expect(factorLevel(twoPreference, 'LAB', 'preference')).toBe('lab-a');
    expect(factorLevel(twoPreference, 'ALGORITHM', 'other')).toBeNull();
  });

  it('groups runs by their levels in factor order and leaves out runs lacking a level', () => {
    const sftOnly = run('qwen', 'lab-b', [{ kind: 'sft', algorithm: 'sft', dataset: 'wildchat' }]);
    const dpo = run('qwen', 'lab-b', [{ kind: 'preference', algorithm: 'dpo', dataset: 'hh' }]);
    const { groups, excluded } = groupByFactors([twoPreference, sftOnly, dpo], ['ALGORITHM', 'MODEL'], 'preference');
    expect(groups.map((g) => [g.levels.map((l) => `${l.factor}=${l.level}`), g.members.length])).toEqual([
      [['ALGORITHM=dpo', 'MODEL=qwen'], 1],
      [['ALGORITHM=simpo', 'MODEL=llama'], 1],
    ]);
    expect(excluded).toEqual([sftOnly]);
    expect(groupByFactors([twoPreference, sftOnly], [], 'preference').groups).toEqual([{ levels: [], members: [twoPreference, sftOnly] }]);
  });
});
