import { Field, ID, ObjectType } from 'type-graphql';
import { Role } from '../common/enums';

@ObjectType({ description: 'An API key as listed: never the key itself, only its first characters' })
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The lab the key belongs to' })
  lab!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { description: 'The first characters of the key, to tell keys apart' })
  prefix!: string;

  @Field(() => String, { description: 'ISO-8601 time of creation (UTC)' })
  createdAt!: string;

  @Field(() => String, { nullable: true, description: 'ISO-8601 time of revocation; null while the key works' })
  revokedAt!: string | null;
}

@ObjectType({ description: 'A new API key. `key` is shown only here, once: store it now' })
export class CreatedApiKey {
  @Field(() => String)
  key!: string;

  @Field(() => ApiKey)
  apiKey!: ApiKey;
}
