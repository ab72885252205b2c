/** Vocabulary shared by ingest, analytics and the API. */
export const STANCES = ['support', 'neutral', 'oppose'] as const;
export type Stance = (typeof STANCES)[number];

export const STAGE_KINDS = ['base', 'sft', 'preference', 'other'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];
