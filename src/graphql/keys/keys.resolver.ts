import { MaxLength, MinLength } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Field, ID, Mutation, Query, Resolver } from 'type-graphql';
import { assertAdmin } from '../../auth/principal';
import { KeyService, type ApiKeyInfo } from '../../auth/keys.service';
import { Role } from '../common/enums';
import type { Context } from '../context';
import { ApiKey, CreatedApiKey } from './keys.types';

@ArgsType()
class CreateApiKeyArgs {
  @Field(() => String, { description: 'The lab the key belongs to' })
  @MinLength(1, { message: 'lab must not be empty' })
  @MaxLength(200)
  lab!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => String, { nullable: true, description: 'A label to recognise the key by, e.g. who holds it' })
  @MaxLength(200)
  name?: string;
}

const toApiKey = (k: ApiKeyInfo): ApiKey => ({ ...k, id: String(k.id) });

/** Key management on a running server; every field needs an admin key. */
@Resolver()
export class KeysResolver {
  constructor(private readonly keys: KeyService) {}

  @Query(() => [ApiKey], { description: 'Every API key (admin only)' })
  async apiKeys(@Ctx() ctx: Context): Promise<ApiKey[]> {
    assertAdmin(ctx.principal);
    return (await this.keys.list()).map(toApiKey);
  }

  @Mutation(() => CreatedApiKey, { description: 'Create an API key for a lab (admin only); the key is shown once' })
  async createApiKey(@Args(() => CreateApiKeyArgs) { lab, role, name }: CreateApiKeyArgs, @Ctx() ctx: Context): Promise<CreatedApiKey> {
    assertAdmin(ctx.principal);
    const { key, info } = await this.keys.create(lab, role, name ?? null);
    return { key, apiKey: toApiKey(info) };
  }

  @Mutation(() => ApiKey, { description: 'Revoke an API key (admin only); it stops working on the next request' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiKey> {
    assertAdmin(ctx.principal);
    return toApiKey(await this.keys.revoke(Number(id)));
  }
}
