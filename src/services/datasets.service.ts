/**
 * Dataset lifecycle: delete a dataset version with everything derived from it, or change who may
 * see it. A dataset the caller cannot see is NOT_FOUND (exactly as one that never existed); one
 * they can see but may not change is FORBIDDEN.
 */
import { assertCanWrite, scopeOf, type Principal } from '../auth/principal';
import type { DriftDb } from '../db/client';
import { asStorage, type Storage } from '../db/storage';
import type { Visibility } from '../domain';
import { NotFoundError } from '../errors';
import type { CatalogService, DatasetRow } from './catalog.service';

export class DatasetService {
  private readonly storage: Storage;

  constructor(
    source: DriftDb | Storage,
    private readonly catalog: CatalogService,
  ) {
    this.storage = asStorage(source);
  }

  /** The dataset as the principal sees it, checked for write access to its lab. */
  private async writable(principal: Principal, id: number): Promise<DatasetRow> {
    const row = (await this.catalog.scoped(scopeOf(principal)).datasets()).find((d) => d.id === id);
    if (!row) throw new NotFoundError(`no dataset with id ${id}; list datasets with the datasets query`, 'id');
    assertCanWrite(principal, row.lab);
    return row;
  }

  /**
   * Deletes one dataset version: its runs, stages, prompts, observations and aggregates, in one
   * transaction. The file's space is reused by later ingests; see the README for reclaiming it.
   */
  async delete(principal: Principal, id: number): Promise<DatasetRow> {
    const row = await this.writable(principal, id);
    await this.storage.deleteDataset(id);
    return row;
  }

  async setVisibility(principal: Principal, id: number, visibility: Visibility): Promise<DatasetRow> {
    const row = await this.writable(principal, id);
    await this.storage.setVisibility(id, visibility);
    return { ...row, visibility };
  }
}
