// CRD schema validation for the stand-in: an object refused by the openAPIV3Schema given for its
// resource is a 422 Invalid Status naming the fields (details.causes[].field, as `spec.x`), as the
// API server answers. Kubernetes' x-kubernetes-* keywords are ignored (ajv, not strict).
import { Ajv, type ValidateFunction } from 'ajv';
import { StandinError, type StandinResource } from './resources.ts';

export class SchemaValidator {
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(schemas: Record<string, object> = {}) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const [plural, schema] of Object.entries(schemas)) this.#validators.set(plural, ajv.compile(schema));
  }

  /** Throws a 422 Invalid when the resource has a schema and the object does not satisfy it. */
  check(r: StandinResource, obj: Record<string, unknown>, name: string): void {
    const validate = this.#validators.get(r.plural);
    if (!validate || validate(obj)) return;
    const causes = (validate.errors ?? []).slice(0, 20).map((e) => {
      const path = e.instancePath.split('/').filter(Boolean);
      if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') path.push(e.params.missingProperty);
      if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') path.push(e.params.additionalProperty);
      const field = path
        .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
        .join('')
        .replace(/^\./, '');
      const reason =
        e.keyword === 'required' ? 'FieldValueRequired' : e.keyword === 'enum' ? 'FieldValueNotSupported' : 'FieldValueInvalid';
      return { reason, message: `${e.message ?? 'invalid'}`, field };
    });
    const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
    throw new StandinError(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, { name, group: r.group, kind: r.kind, causes });
  }
}
