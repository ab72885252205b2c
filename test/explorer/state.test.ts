/** The explorer's link format: what a link says is what the view shows, and back again. */
import { DEFAULTS, readState, writeState, type State } from '../../explorer/src/state';

describe('explorer state in the URL', () => {
  it('writes only what differs from the defaults', () => {
    expect(writeState(DEFAULTS)).toBe('?view=runs');
    expect(writeState({ ...DEFAULTS, view: 'groups', topic: 'abortion' })).toBe('?view=groups&topic=abortion');
  });

  it('reads back every kind of field it writes', () => {
    const s: State = {
      ...DEFAULTS,
      view: 'effects',
      runs: ['3', '17'],
      filter: { algorithm: 'dpo, simpo', preferenceData: 'synth' },
      topic: 'gun control',
      stance: '',
      confidence: 0.9,
      alpha: 0.3,
      points: 0,
      bands: false,
      color: 'algorithm',
      group: [],
      kind: 'SFT',
      by: 'groups',
      share: 'path',
      outcome: 'END_VALUE',
      factors: ['DATASET', 'ALGORITHM', 'TOPIC'],
      interactions: false,
      ss: 'TYPE_III',
    };
    const search = writeState(s);
    expect(readState(search)).toEqual(s);
    // An empty grouping (one group of all runs) is not the default grouping.
    expect(new URLSearchParams(search).get('group')).toBe('');
  });

  it('falls back to the default for values a view cannot use', () => {
    const s = readState('?view=nope&stance=MAYBE&confidence=1.5&alpha=0&points=1&color=red&factors=ALGORITHM,BOGUS&ss=TYPE_IV&kind=BASE');
    expect(s).toEqual({ ...DEFAULTS, factors: ['ALGORITHM'] });
  });

  it('ignores names that are not fields, inherited ones included', () => {
    const s = readState('?toString=x&hasOwnProperty=y&constructor=z&view=trajectories');
    expect(s).toEqual({ ...DEFAULTS, view: 'trajectories' });
    expect(typeof s.toString).toBe('function');
  });
});
