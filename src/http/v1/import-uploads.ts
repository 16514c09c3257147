import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyRequest } from 'fastify';
import { DomainError, type FieldIssue, Invalid } from '../../core/errors.ts';
import { IDEMPOTENCY_KEY_MAX } from '../../core/idempotency.ts';
import { type ColumnMapping, checkMapping, type ImportFormat } from '../../core/imports/column-mapping.ts';
import { NATIVE_IMPORT_KIND, type NativeImportMeta } from '../../core/imports/file-jobs.ts';
import { refuseEmptyNative } from '../../core/imports/native-import.ts';
import { type SpooledFile, spoolToFile, toImportView } from '../../jobs/index.ts';
import { ColumnMappingSchema, ImportOptionsQuery, ImportUploadBody } from './import-schemas.ts';
import { Import } from './imports.ts';
import { errorResponses } from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

// POST /v1/imports: a CSV, NDJSON or JSON file of data points, as a multipart upload or as
// the raw body. The file is streamed to disk and stored with its job; the answer is the
// job (202, Location: /v1/imports/{id}), whose progress and errors GET /v1/imports/{id} shows.

const mappingCheck = TypeCompiler.Compile(ColumnMappingSchema);

const BY_TYPE: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'application/json': 'json',
};
const BY_EXTENSION: Record<string, ImportFormat> = {
  csv: 'csv',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  json: 'json',
};

interface Options {
  format?: string;
  dry_run?: boolean | string;
  header?: boolean | string;
  mapping?: string;
}

function parseMapping(text: string | undefined): ColumnMapping | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw Invalid.field('mapping', 'must be a JSON object');
  }
  if (!mappingCheck.Check(value)) {
    const issues: FieldIssue[] = [...mappingCheck.Errors(value)].map((e) => ({
      field: `mapping${e.path.replace(/\//g, '.')}`,
      message: e.message,
    }));
    throw new Invalid(issues);
  }
  return value;
}

function flag(value: boolean | string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw Invalid.field(name, 'must be true or false');
}

function formatOf(
  given: string | undefined,
  type: string | undefined,
  filename: string | undefined,
): ImportFormat {
  if (given !== undefined && given !== '') {
    if (given in BY_EXTENSION && given !== 'jsonl') return given as ImportFormat;
    throw Invalid.field('format', 'must be one of csv, ndjson, json');
  }
  const byType = BY_TYPE[(type ?? '').split(';')[0].trim().toLowerCase()];
  if (byType) return byType;
  const ext = /\.([a-z]+)$/i.exec(filename ?? '')?.[1]?.toLowerCase();
  if (ext && BY_EXTENSION[ext]) return BY_EXTENSION[ext];
  throw Invalid.field('format', 'say which format the file is in: csv, ndjson or json');
}

/**
 * The multipart parser (busboy) reports a body it cannot read — no boundary, cut short —
 * with plain errors; they are the client's fault, a 400, not a 500. Errors of our own
 * (domain errors, file-system errors with an errno) pass through unchanged.
 */
function malformedMultipart(e: unknown): unknown {
  if (e instanceof DomainError || !(e instanceof Error) || 'errno' in e) return e;
  const status = (e as { statusCode?: number }).statusCode;
  if (status === 413) return e;
  return Invalid.field('file', `the multipart body cannot be read: ${e.message}`, true);
}

/** A multipart upload: its fields (before or after the file) and the file, spooled to disk. */
async function readMultipart(
  request: FastifyRequest,
  dir: string,
  maxBytes: number,
): Promise<{ fields: Options; file: SpooledFile; type?: string; filename?: string }> {
  const fields: Record<string, string> = {};
  let file: SpooledFile | undefined;
  let type: string | undefined;
  let filename: string | undefined;
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 10 } })) {
      if (part.type === 'file') {
        if (file) throw Invalid.field('file', 'send one file');
        file = await spoolToFile(part.file, { dir, maxBytes });
        type = part.mimetype;
        filename = part.filename;
      } else if (typeof part.value === 'string') fields[part.fieldname] = part.value;
    }
  } catch (e) {
    await file?.remove();
    throw malformedMultipart(e);
  }
  if (!file) throw Invalid.field('file', 'required: a multipart part named file', true);
  return { fields, file, type, filename };
}

/**
 * The Idempotency-Key of an upload, checked as the native hook checks one. It is kept with
 * the job, not by that hook: the hook's record is written after the answer, so a process
 * that dies between the job's commit and that record leaves the key "processing" (a retry
 * gets 409 for minutes, then makes a second job); and the hook cannot hash a streamed body.
 */
function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') return undefined;
  if (key.length > IDEMPOTENCY_KEY_MAX)
    throw Invalid.field('Idempotency-Key', `must be 1 to ${IDEMPOTENCY_KEY_MAX} characters`);
  return key;
}

export const importUploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, jobs } = app.services;
  // Files are never parsed here: any content type arrives as the raw stream; multipart
  // uploads are read part by part.
  app.removeAllContentTypeParsers();
  await app.register(multipart);
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.post(
    '/imports',
    {
      // Idempotency-Key: the job's own (idempotencyKeyOf), not the native hook's.
      config: { scope: 'write', idempotent: false },
      schema: {
        tags: ['imports'],
        operationId: 'createImport',
        summary: 'Import a CSV, NDJSON or JSON file of data points (as a job)',
        description:
          'A file with no data row (empty, blank lines only, a CSV header alone, `[]`) is refused with 400 ' +
          'naming line 1 ("empty file") and no job is made. A cell, row or JSON line beyond ' +
          'KPIHUB_IMPORT_MAX_FIELD_BYTES fails the job naming its line. With an `Idempotency-Key`, the same ' +
          'file and options sent again get the same import back (202), or 409 while it is still queued or running.',
        querystring: ImportOptionsQuery,
        body: ImportUploadBody,
        response: { 202: Import, ...errorResponses },
      },
    },
    async (request, reply) => {
      const dir = config.dataDir;
      const maxBytes = config.importMaxBytes;
      const idempotencyKey = idempotencyKeyOf(request);
      const upload = request.isMultipart()
        ? await readMultipart(request, dir, maxBytes)
        : {
            fields: {} as Options,
            // No body at all (no content type either) never reaches a parser: an empty file.
            file: await spoolToFile((request.body as Readable | undefined) ?? Readable.from([]), {
              dir,
              maxBytes,
            }),
            type: request.headers['content-type'],
            filename: undefined,
          };
      try {
        const opts: Options = { ...request.query, ...upload.fields };
        const format = formatOf(opts.format, upload.type, upload.filename);
        const header = flag(opts.header, 'header', true);
        const mapping = parseMapping(opts.mapping);
        if (mapping) checkMapping(mapping, format, header);
        await refuseEmptyNative(
          { format, header, maxFieldBytes: config.importMaxFieldBytes },
          createReadStream(upload.file.path),
        );
        const meta: NativeImportMeta = {
          format,
          header,
          dry_run: flag(opts.dry_run, 'dry_run', false),
          max_field_bytes: config.importMaxFieldBytes,
          ...(mapping ? { mapping } : {}),
          ...(upload.filename ? { filename: upload.filename } : {}),
        };
        const { job, created } = await jobs.enqueue({
          actor: request.actor,
          kind: NATIVE_IMPORT_KIND,
          payload: upload.file,
          meta: { ...meta },
          maxAttempts: config.jobMaxAttempts,
          idempotencyKey,
          idempotencyWindowSeconds: config.idempotencyWindowSeconds,
          // The same file with other options is another request.
          requestKey: JSON.stringify(meta),
        });
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(202).header('location', `/v1/imports/${job.id}`).send(toImportView(job));
      } finally {
        // Not awaited: the answer need not wait for the disk (see the AchieveIt route).
        void upload.file.remove();
      }
    },
  );
};
