/**
 * The descriptor lookups behind server reflection, over the files compiled into
 * gen/: the files of the services served, and every file they import,
 * transitively (google/protobuf/struct.proto, duration.proto, …). Built once at
 * start; each file is serialized once, as a google.protobuf.FileDescriptorProto.
 *
 * Symbols are fully-qualified names without a leading dot, as the reflection
 * protocol writes them: packages, services, methods (`Service.Method`),
 * messages, nested messages, fields, oneofs, enums, enum values (scoped beside
 * their enum, as protobuf scopes them) and extensions.
 */
import { toBinary, type DescEnum, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

export interface SchemaIndex {
  /** The fully-qualified names of the services served, in the order given. */
  readonly services: readonly string[];
  /** A file by its name (`spooky/ssp/v1/ssp.proto`). */
  fileByName(name: string): DescFile | undefined;
  /** The file that defines a fully-qualified symbol. */
  fileContainingSymbol(symbol: string): DescFile | undefined;
  /** The file that defines extension `number` of message `typeName`. */
  fileContainingExtension(typeName: string, number: number): DescFile | undefined;
  /** The extension numbers of a message type, ascending; undefined when no file here defines that message. */
  extensionNumbers(typeName: string): readonly number[] | undefined;
  /** `file` serialized as a FileDescriptorProto, then each file it imports, transitively (breadth first, each once). */
  withDependencies(file: DescFile): readonly { readonly name: string; readonly bytes: Uint8Array }[];
}

export function schemaIndex(services: readonly DescService[]): SchemaIndex {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const dep of file.dependencies) visit(dep);
  };
  for (const service of services) visit(service.file);

  const symbols = new Map<string, DescFile>();
  const messages = new Set<string>();
  const extensions = new Map<string, Map<number, DescFile>>();
  for (const file of files.values()) {
    const define = (name: string): void => void (symbols.has(name) ? undefined : symbols.set(name, file));
    const addEnum = (e: DescEnum, scope: string): void => {
      define(e.typeName);
      for (const value of e.values) define(scope === "" ? value.name : `${scope}.${value.name}`);
    };
    const addExtension = (ext: DescExtension): void => {
      define(ext.typeName);
      const numbers = extensions.get(ext.extendee.typeName) ?? new Map<number, DescFile>();
      numbers.set(ext.number, file);
      extensions.set(ext.extendee.typeName, numbers);
    };
    const addMessage = (message: DescMessage): void => {
      define(message.typeName);
      messages.add(message.typeName);
      for (const field of message.fields) define(`${message.typeName}.${field.name}`);
      for (const oneof of message.oneofs) define(`${message.typeName}.${oneof.name}`);
      for (const nested of message.nestedMessages) addMessage(nested);
      for (const e of message.nestedEnums) addEnum(e, message.typeName);
      for (const ext of message.nestedExtensions) addExtension(ext);
    };
    if (file.proto.package !== "") define(file.proto.package);
    for (const message of file.messages) addMessage(message);
    for (const e of file.enums) addEnum(e, file.proto.package);
    for (const ext of file.extensions) addExtension(ext);
    for (const service of file.services) {
      define(service.typeName);
      for (const method of service.methods) define(`${service.typeName}.${method.name}`);
    }
  }

  const serialized = new Map<DescFile, Uint8Array>();
  const bytesOf = (file: DescFile): Uint8Array => {
    let bytes = serialized.get(file);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file, bytes);
    }
    return bytes;
  };

  return {
    services: services.map((s) => s.typeName),
    fileByName: (name) => files.get(name),
    fileContainingSymbol: (symbol) => symbols.get(symbol),
    fileContainingExtension: (typeName, number) => extensions.get(typeName)?.get(number),
    extensionNumbers(typeName) {
      if (!messages.has(typeName)) return undefined;
      return [...(extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b);
    },
    withDependencies(file) {
      const out: { name: string; bytes: Uint8Array }[] = [];
      const seen = new Set<string>();
      const queue = [file];
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (seen.has(next.proto.name)) continue;
        seen.add(next.proto.name);
        out.push({ name: next.proto.name, bytes: bytesOf(next) });
        queue.push(...next.dependencies);
      }
      return out;
    },
  };
}
