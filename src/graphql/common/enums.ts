/**
 * The domain vocabularies (src/domain.ts) registered as GraphQL enums. Import them from here in
 * GraphQL types so that registration has run before the schema is built.
 */
import { registerEnumType } from 'type-graphql';
import {
  DatasetVersions,
  DriftEndpoint,
  EffectFactor,
  IngestJobStatus,
  GroupFactor,
  Outcome,
  Role,
  SmoothingMethod,
  StageKind,
  Stance,
  SumOfSquares,
  Visibility,
} from '../../domain';

registerEnumType(Stance, { name: 'Stance', description: 'Stance a judged answer takes on the question' });
registerEnumType(StageKind, { name: 'StageKind', description: 'Kind of a post-training stage' });
registerEnumType(SmoothingMethod, {
  name: 'SmoothingMethod',
  description: 'EMA: exponential moving average over the checkpoints in training order',
});
registerEnumType(DriftEndpoint, {
  name: 'DriftEndpoint',
  description: 'LAST: magnitude = last − first point of the stage path. EXTREMUM: the point farthest from the first.',
});
registerEnumType(GroupFactor, {
  name: 'GroupFactor',
  description:
    'ALGORITHM / DATASET: algorithm and training data of the run’s last stage of the chosen stageKind (default PREFERENCE); ' +
    'SFT_DATASET: data of the last SFT stage; MODEL; LAB',
});
registerEnumType(EffectFactor, {
  name: 'EffectFactor',
  description:
    'ALGORITHM / DATASET of the analysed stage; SFT_DATASET of the last sft stage; MODEL; LAB; TOPIC (one observation per run and topic)',
});
registerEnumType(Outcome, { name: 'Outcome', description: 'Per-run outcome of the run’s last stage of the chosen kind' });
registerEnumType(SumOfSquares, {
  name: 'SumOfSquares',
  description: 'TYPE_I: sequential, R anova(); TYPE_II: car::Anova(type = 2); TYPE_III: car::Anova(type = 3) with sum-to-zero contrasts',
});

registerEnumType(DatasetVersions, {
  name: 'DatasetVersions',
  description: 'LATEST: the latest version of each lab’s dataset (by version number, then ingest order); ALL: every version',
});
registerEnumType(Visibility, { name: 'Visibility', description: 'public: everyone may read it; private: its lab only' });
registerEnumType(IngestJobStatus, { name: 'IngestJobStatus', description: 'Where an uploaded bundle’s ingest job is' });
registerEnumType(Role, {
  name: 'Role',
  description: 'reader: the lab’s private data and all public data; writer: also uploads and deletes the lab’s datasets; admin: everything',
});

export {
  IngestJobStatus,
  DatasetVersions,
  Visibility,
  DriftEndpoint,
  EffectFactor,
  GroupFactor,
  Outcome,
  Role,
  SmoothingMethod,
  StageKind,
  Stance,
  SumOfSquares,
};
