// Field paths written like k8s.io/apimachinery/pkg/util/validation/field.Path:
// `spec.tls.certificates[0].alias`, `metadata.labels[app]`.

export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name: string): FieldPath {
    return new FieldPath(name);
  }

  /** Parse a dotted path such as `spec.tls.issuerRef` back into a FieldPath. */
  static parse(text: string): FieldPath {
    return new FieldPath(text);
  }

  child(name: string, ...more: string[]): FieldPath {
    let text = this.text === '' ? name : `${this.text}.${name}`;
    for (const m of more) text = `${text}.${m}`;
    return new FieldPath(text);
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}
