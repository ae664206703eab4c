export {
  type SelftrainConfig,
  type SelftrainConfigInput,
  SelftrainConfigSchema,
  type Trainer,
  TrainerSchema,
} from './config.js';
export { formatSelftrain, runSelftrain, type SelftrainDeps, type SelftrainResult, summaryOf } from './loop.js';
export {
  isTrainerName,
  TRAINER_NAMES,
  TRAINERS,
  type TrainerDeps,
  type TrainerEntry,
  type TrainerFlags,
  type TrainerName,
} from './trainers/index.js';
