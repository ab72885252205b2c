/**
 * Dataset lifecycle: delete a dataset version with everything derived from it, or change who may
 * see it. A dataset the caller cannot see is NOT_FOUND (exactly as one that never existed); one
 * they can see but may not change is FORBIDDEN.
 */
import { eq } from 'drizzle-orm';
import { assertCanWrite, scopeOf, type Principal } from '../auth/principal';
import type { DriftDb } from '../db/client';
import { datasets } from '../db/schema';
import { bumpDataVersion } from '../db/version';
import type { Visibility } from '../domain';
import { NotFoundError } from '../errors';
import { deleteDatasetRows } from '../ingest/ingest';
import type { CatalogService, DatasetRow } from './catalog.service';

export class DatasetService {
  constructor(
    private readonly db: DriftDb,
    private readonly catalog: CatalogService,
  ) {}

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
    await this.db.transaction(async (conn) => {
      await deleteDatasetRows(conn, id);
      await bumpDataVersion(conn);
    });
    // Caches key on the change counter: every cached answer that could include it is gone.
    this.db.noteChange();
    return row;
  }

  async setVisibility(principal: Principal, id: number, visibility: Visibility): Promise<DatasetRow> {
    const row = await this.writable(principal, id);
    await this.db.transaction(async (conn) => {
      await this.db.ormOn(conn).update(datasets).set({ visibility }).where(eq(datasets.id, id));
      await bumpDataVersion(conn);
    });
    this.db.noteChange();
    return { ...row, visibility };
  }
}
