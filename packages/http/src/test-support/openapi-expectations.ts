// Checks a real HTTP response (status, headers, body) against `openApiDocument` with Ajv; shared by every test that does.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { openApiDocument } from '../openapi-document.js';

// ajv-formats is CommonJS with a default export; under NodeNext its namespace may wrap it.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

const DOC_ID = 'https://image-catalog.test/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...openApiDocument, $id: DOC_ID });

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The compiled schema at a JSON pointer inside the document, e.g. `('components', 'headers', 'RequestId', 'schema')`. */
export function validatorAt(...parts: string[]) {
  const validate = ajv.getSchema(`${DOC_ID}#/${pointer(...parts)}`);
  if (!validate) throw new Error(`no schema at ${parts.join(' / ')}`);
  return validate;
}

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { headers?: Record<string, { $ref: string }>; content?: Record<string, unknown> }> }>
  >;
  components: { headers: Record<string, { required?: boolean; schema: unknown }> };
};

/** The document, typed for reading paths, responses and header components. */
export const documentPaths = openApiDocument as unknown as Doc;

/** The documented path of the operation. */
export const IMAGE_PATH = '/images/{image_id}';

/** Validates status, headers and body of `res` against the document's response for `method` on {@link IMAGE_PATH}. */
export async function expectDocumented(res: Response, method: 'delete' | 'options'): Promise<void> {
  const responses = documentPaths.paths[IMAGE_PATH]![method]!.responses;
  const documented = responses[String(res.status)];
  expect(documented, `status ${res.status} is documented for ${method}`).toBeDefined();

  for (const [name, { $ref }] of Object.entries(documented!.headers ?? {})) {
    const header = documentPaths.components.headers[$ref.split('/').at(-1)!]!;
    const value = res.headers.get(name);
    if (header.required) expect(value, `header ${name}`).not.toBeNull();
    if (value === null) continue;
    const validate = validatorAt('components', 'headers', $ref.split('/').at(-1)!, 'schema');
    const typed = /^\d+$/.test(value) && name === 'Retry-After' ? Number(value) : value;
    expect(validate(typed), `${name}: ${value} ${JSON.stringify(validate.errors)}`).toBe(true);
  }

  const text = await res.text();
  if (res.status === 204) {
    expect(text).toBe('');
    expect(res.headers.get('content-type')).toBeNull();
    return;
  }
  const contentType = res.headers.get('content-type')!;
  expect(Object.keys(documented!.content ?? {})).toContain(contentType);
  const validate = validatorAt('paths', IMAGE_PATH, method, 'responses', String(res.status), 'content', contentType, 'schema');
  const body: unknown = contentType.includes('json') ? JSON.parse(text) : text;
  expect(validate(body), `${res.status} ${contentType}: ${text} ${JSON.stringify(validate.errors)}`).toBe(true);
}
