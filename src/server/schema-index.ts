/**
 * The descriptor lookups behind server reflection, over the files compiled into
 * gen/: the files of the services served, and every file they import,
 * transitively (google/protobuf/struct.proto, duration.proto, …). Built once at
 * start; each file is serialized once (when first asked for), as a
 * google.protobuf.FileDescriptorProto.
 *
 * Symbols are fully-qualified names without a leading dot, as the reflection
 * protocol writes them: services, methods (`Service.Method`),
 * messages, nested messages (map entries included), fields, oneofs, enums,
 * enum values (scoped beside their enum, as protobuf scopes them) and
 * extensions. A package is not a symbol (it may span files), as in gRPC's
 * own servers.
 */
import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
} from "@bufbuild/protobuf/wkt";

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
  // Walked on the FileDescriptorProto, not the registry's descriptors: those
  // leave out map entry messages, which are symbols of the file all the same.
  for (const file of files.values()) {
    const define = (name: string): void => void (symbols.has(name) ? undefined : symbols.set(name, file));
    const within = (scope: string, name: string): string => (scope === "" ? name : `${scope}.${name}`);
    const addEnum = (e: EnumDescriptorProto, scope: string): void => {
      define(within(scope, e.name));
      for (const value of e.value) define(within(scope, value.name));
    };
    const addExtension = (ext: FieldDescriptorProto, scope: string): void => {
      define(within(scope, ext.name));
      const extendee = ext.extendee.replace(/^\./, "");
      const numbers = extensions.get(extendee) ?? new Map<number, DescFile>();
      numbers.set(ext.number, file);
      extensions.set(extendee, numbers);
    };
    const addMessage = (message: DescriptorProto, scope: string): void => {
      const name = within(scope, message.name);
      define(name);
      messages.add(name);
      for (const field of message.field) define(`${name}.${field.name}`);
      for (const oneof of message.oneofDecl) define(`${name}.${oneof.name}`);
      for (const nested of message.nestedType) addMessage(nested, name);
      for (const e of message.enumType) addEnum(e, name);
      for (const ext of message.extension) addExtension(ext, name);
    };
    const { package: pkg, messageType, enumType, extension, service } = file.proto;
    for (const message of messageType) addMessage(message, pkg);
    for (const e of enumType) addEnum(e, pkg);
    for (const ext of extension) addExtension(ext, pkg);
    for (const svc of service) {
      define(within(pkg, svc.name));
      for (const method of svc.method) define(`${within(pkg, svc.name)}.${method.name}`);
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
