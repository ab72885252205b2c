import { registerEnumType } from 'type-graphql';

export enum StanceEnum {
  SUPPORT = 'support',
  NEUTRAL = 'neutral',
  OPPOSE = 'oppose',
}
registerEnumType(StanceEnum, { name: 'Stance', description: 'Stance a judged answer takes on the question' });

export enum StageKindEnum {
  BASE = 'base',
  SFT = 'sft',
  PREFERENCE = 'preference',
  OTHER = 'other',
}
registerEnumType(StageKindEnum, { name: 'StageKind', description: 'Kind of a post-training stage' });

export enum SmoothingMethod {
  EMA = 'ema',
}
registerEnumType(SmoothingMethod, {
  name: 'SmoothingMethod',
  description: 'EMA: exponential moving average over the checkpoints in training order',
});
