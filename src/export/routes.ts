/**
 * `GET /api/v1/export/<table>?format=parquet|csv&...` (DESIGN §5 "Data out"): the caller's
 * visible data of one table as a file download, with the GraphQL field's arguments as query
 * parameters (src/export/params.ts). Errors answer as the other REST endpoints do, with the
 * GraphQL error's code and message.
 */
import express, { type Request } from 'express';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { GraphQLSchema } from 'graphql';
import { scopeOf, type Principal } from '../auth/principal';
import { UnauthenticatedError, UserInputError } from '../errors';
import { sendError } from '../http/errors';
import type { PrincipalOf } from '../http/principal';
import { removeDir, uploadFolder } from '../upload/extract';
import { EXPORT_FORMATS, writeExport, type ExportDeps, type ExportFormat } from './export';
import { parseExport } from './params';
import { HOW_TO_GET_A_KEY } from '../auth/keys.service';

export interface ExportOptions {
  /** Folder for the temporary files of exports being written. */
  tmpRoot: string;
  anonymousRead: boolean;
}

export function exportRoutes(schema: GraphQLSchema, deps: ExportDeps, principalOf: PrincipalOf, opts: ExportOptions): express.Router {
  const router = express.Router();
  router.get('/export/:table', async (req: Request, res) => {
    let dir: string | undefined;
    try {
      const principal: Principal = await principalOf(req);
      if (principal.kind === 'anonymous' && !opts.anonymousRead) {
        throw new UnauthenticatedError(`this server does not answer requests without a key; ${HOW_TO_GET_A_KEY}`);
      }
      const query = new URL(req.originalUrl, 'http://localhost').searchParams;
      const format = (query.get('format') ?? 'parquet') as ExportFormat;
      if (!(format in EXPORT_FORMATS)) {
        throw new UserInputError(`format must be one of ${Object.keys(EXPORT_FORMATS).join(', ')} (got "${format}")`, 'format');
      }
      const request = await parseExport(schema, String(req.params.table), query);
      dir = await uploadFolder(opts.tmpRoot);
      const file = await writeExport(deps, scopeOf(principal), request, format, dir);
      const { contentType, extension } = EXPORT_FORMATS[format];
      res.status(200);
      res.setHeader('Content-Type', contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${request.table}.${extension}"`);
      res.setHeader('Content-Length', String((await fs.promises.stat(file)).size));
      await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), res);
    } catch (err) {
      sendError(res, err);
    } finally {
      if (dir) await removeDir(dir).catch(() => undefined);
    }
  });
  return router;
}
