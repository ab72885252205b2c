/**
 * The explorer's state lives in the URL (`?view=trajectories&runs=3,4&topic=abortion&f.model=llama`),
 * so every view is a link that restores it; only values that differ from the defaults are
 * written. The API key lives in this tab's session storage only.
 */
import type { EffectFactor, GroupFactor, Outcome, StageKind, Stance, SumOfSquares } from '../../clients/typescript/src/client';

export type View = 'runs' | 'trajectories' | 'groups' | 'attribution' | 'driftmap' | 'effects';
export const VIEWS: { id: View; title: string }[] = [
  { id: 'runs', title: 'Runs' },
  { id: 'trajectories', title: 'Trajectories' },
  { id: 'groups', title: 'Groups' },
  { id: 'attribution', title: 'Attribution' },
  { id: 'driftmap', title: 'Drift map' },
  { id: 'effects', title: 'Effects' },
];

export const STANCES: Stance[] = ['SUPPORT', 'NEUTRAL', 'OPPOSE'];
export const GROUP_FACTORS: GroupFactor[] = ['ALGORITHM', 'DATASET', 'MODEL', 'SFT_DATASET', 'LAB'];
export const EFFECT_FACTORS: EffectFactor[] = ['ALGORITHM', 'DATASET', 'MODEL', 'SFT_DATASET', 'LAB', 'TOPIC'];
export const OUTCOMES: Outcome[] = ['DRIFT_MAGNITUDE', 'DRIFT_TIME', 'END_VALUE'];
export const SUMS_OF_SQUARES: SumOfSquares[] = ['TYPE_I', 'TYPE_II', 'TYPE_III'];
/** Run attributes a trajectory can be coloured by (RunRow fields). */
export const COLOR_BY = ['run', 'algorithm', 'preferenceData', 'model', 'sftData', 'lab'] as const;
export type ColorBy = (typeof COLOR_BY)[number];

/** Every field has a default; the URL holds only what differs from it. */
export interface State {
  view: View;
  /** Selected run ids, in the order they were picked; none selected means the runs shown. */
  runs: string[];
  /** Runs-table filters: column → text the cell must contain. */
  filter: Record<string, string>;
  /** One topic, or '' for all topics as small multiples. */
  topic: string;
  /** One stance, or '' for all three as small multiples. */
  stance: Stance | '';
  confidence: number;
  /** EMA weight of the newest point (trajectories); 1 = no smoothing. */
  alpha: number;
  /** Point budget per trajectory; 0 = every point. */
  points: number;
  bands: boolean;
  color: ColorBy;
  /** Factors whose level combinations form the groups (groups, attribution, drift map). */
  group: GroupFactor[];
  /** Stage kind of the drift map's cells and of the effects' outcome. */
  kind: StageKind;
  /** Drift map columns: one per run, or one per group of runs. */
  by: 'runs' | 'groups';
  /** Attribution share: net (|Δ| shares) or path (path-length shares). */
  share: 'net' | 'path';
  outcome: Outcome;
  factors: EffectFactor[];
  interactions: boolean;
  ss: SumOfSquares;
}

/** The stance of views that show one: the chosen one, SUPPORT when "all stances" is chosen. */
export const oneStance = (s: State): Stance => s.stance || 'SUPPORT';

export const DEFAULTS: State = {
  view: 'runs',
  runs: [],
  filter: {},
  topic: '',
  stance: 'SUPPORT',
  confidence: 0.95,
  alpha: 1,
  points: 200,
  bands: true,
  color: 'run',
  group: ['ALGORITHM'],
  kind: 'PREFERENCE',
  by: 'runs',
  share: 'net',
  outcome: 'DRIFT_MAGNITUDE',
  factors: ['ALGORITHM', 'DATASET'],
  interactions: true,
  ss: 'TYPE_II',
};

type Scalar = Exclude<keyof State, 'filter'>;
const LISTS: Scalar[] = ['runs', 'group', 'factors'];

function parse<K extends Scalar>(key: K, raw: string): State[K] | undefined {
  const d = DEFAULTS[key];
  if (Array.isArray(d)) return raw.split(',').filter(Boolean) as State[K];
  if (typeof d === 'number') {
    const n = Number(raw);
    return Number.isFinite(n) ? (n as State[K]) : undefined;
  }
  if (typeof d === 'boolean') return (raw === '1') as State[K];
  return raw as State[K];
}

function valid(s: State): State {
  const ok = <T>(v: T, allowed: readonly T[], d: T) => (allowed.includes(v) ? v : d);
  return {
    ...s,
    view: ok(
      s.view,
      VIEWS.map((v) => v.id),
      DEFAULTS.view,
    ),
    stance: ok(s.stance, ['', ...STANCES] as State['stance'][], DEFAULTS.stance),
    color: ok(s.color, COLOR_BY, DEFAULTS.color),
    group: s.group.filter((g) => GROUP_FACTORS.includes(g)),
    factors: s.factors.filter((f) => EFFECT_FACTORS.includes(f)),
    outcome: ok(s.outcome, OUTCOMES, DEFAULTS.outcome),
    ss: ok(s.ss, SUMS_OF_SQUARES, DEFAULTS.ss),
    share: ok(s.share, ['net', 'path'] as const, DEFAULTS.share),
    by: ok(s.by, ['runs', 'groups'] as const, DEFAULTS.by),
    kind: ok(s.kind, ['SFT', 'PREFERENCE', 'OTHER'] as StageKind[], DEFAULTS.kind),
    confidence: s.confidence > 0 && s.confidence < 1 ? s.confidence : DEFAULTS.confidence,
    alpha: s.alpha > 0 && s.alpha <= 1 ? s.alpha : DEFAULTS.alpha,
    points: Number.isInteger(s.points) && (s.points === 0 || s.points >= 2) ? s.points : DEFAULTS.points,
  };
}

export function readState(search: string): State {
  const q = new URLSearchParams(search);
  const s: State = { ...DEFAULTS, filter: {} };
  for (const [k, v] of q) {
    if (k.startsWith('f.')) {
      if (v) s.filter[k.slice(2)] = v;
    } else if (Object.hasOwn(DEFAULTS, k) && k !== 'filter') {
      const value = parse(k as Scalar, v);
      if (value !== undefined) (s as unknown as Record<string, unknown>)[k] = value;
    }
  }
  return valid(s);
}

export function writeState(s: State): string {
  const q = new URLSearchParams();
  q.set('view', s.view);
  for (const key of Object.keys(DEFAULTS) as (keyof State)[]) {
    if (key === 'view' || key === 'filter') continue;
    const v = s[key];
    const d = DEFAULTS[key];
    if (LISTS.includes(key as Scalar)) {
      if ((v as string[]).join(',') !== (d as string[]).join(',')) q.set(key, (v as string[]).join(','));
    } else if (v !== d) q.set(key, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  for (const [k, v] of Object.entries(s.filter)) if (v) q.set(`f.${k}`, v);
  return `?${q.toString()}`;
}

const KEY = 'driftqlKey';
export const apiKey = {
  get: (): string | undefined => sessionStorage.getItem(KEY) ?? undefined,
  set: (key: string | undefined) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY)),
};
