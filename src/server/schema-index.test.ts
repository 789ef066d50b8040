/** The descriptor lookups behind reflection: every symbol finds its file, and a file comes with everything it imports. */
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_duration,
} from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { REFLECTION_SERVICES } from "./reflection-service.js";
import { schemaIndex } from "./schema-index.js";

const SSP_FILE = "spooky/ssp/v1/ssp.proto";
const index = schemaIndex([StreamProcessorService, Health, ...REFLECTION_SERVICES]);

describe("the schema SSP serves", () => {
  it("lists the services it was given, in order", () => {
    expect(index.services).toEqual([
      "spooky.ssp.v1.StreamProcessorService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  it("finds files by name, imported ones included", () => {
    expect(index.fileByName(SSP_FILE)?.proto.name).toBe(SSP_FILE);
    expect(index.fileByName("grpc/reflection/v1alpha/reflection.proto")?.proto.package).toBe("grpc.reflection.v1alpha");
    expect(index.fileByName("google/protobuf/struct.proto")?.proto.package).toBe("google.protobuf");
    expect(index.fileByName("spooky/ssp/v1/ssp")).toBeUndefined();
    expect(index.fileByName("google/protobuf/descriptor.proto")).toBeUndefined();
  });

  it.each([
    ["spooky.ssp.v1.StreamProcessorService", SSP_FILE],
    ["spooky.ssp.v1.StreamProcessorService.WatchDeltas", SSP_FILE],
    ["spooky.ssp.v1.WatchDeltasRequest", SSP_FILE],
    ["spooky.ssp.v1.WatchDeltasRequest.resume_from", SSP_FILE],
    ["spooky.ssp.v1.WatchDeltasRequest.ResumeFromEntry", SSP_FILE],
    ["google.protobuf.Struct.FieldsEntry.value", "google/protobuf/struct.proto"],
    ["spooky.ssp.v1.WatchDeltasResponse.kind", SSP_FILE],
    ["spooky.ssp.v1.Operation", SSP_FILE],
    ["spooky.ssp.v1.OPERATION_CREATE", SSP_FILE],
    ["grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"],
    ["grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
    ["grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"],
    ["grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"],
    ["grpc.reflection.v1alpha.ServerReflectionRequest", "grpc/reflection/v1alpha/reflection.proto"],
    ["google.protobuf.Struct", "google/protobuf/struct.proto"],
    ["google.protobuf.NullValue.NULL_VALUE", undefined],
    ["google.protobuf.NULL_VALUE", "google/protobuf/struct.proto"],
    ["google.protobuf.Duration", "google/protobuf/duration.proto"],
    ["google.protobuf.Timestamp.seconds", "google/protobuf/timestamp.proto"],
    [".spooky.ssp.v1.StreamProcessorService", undefined],
    ["spooky.ssp.v1.StreamProcessorService.Nope", undefined],
    ["spooky.ssp.v1", undefined],
    ["spooky.ssp", undefined],
    ["", undefined],
  ])("finds the file defining %j", (symbol, file) => {
    expect(index.fileContainingSymbol(symbol)?.proto.name).toBe(file);
  });

  it("sends a file first, then each file it imports once, enough to rebuild the schema", () => {
    const files = index.withDependencies(index.fileByName(SSP_FILE)!);
    expect(files.map((f) => f.name)).toEqual([
      SSP_FILE,
      "google/protobuf/duration.proto",
      "google/protobuf/struct.proto",
      "google/protobuf/timestamp.proto",
    ]);
    const protos = files.map((f) => fromBinary(FileDescriptorProtoSchema, f.bytes));
    expect(protos.map((p) => p.name)).toEqual(files.map((f) => f.name));
    // A FileDescriptorSet lists imports before the files importing them.
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: protos.toReversed() }));
    const service = registry.getService("spooky.ssp.v1.StreamProcessorService");
    expect(service?.methods.map((m) => m.name)).toEqual(StreamProcessorService.methods.map((m) => m.name));
    expect(registry.getMessage("spooky.ssp.v1.RegisterViewRequest")?.fields.map((f) => f.name)).toEqual(
      StreamProcessorService.method.registerView.input.fields.map((f) => f.name),
    );
  });

  it("knows every message type and that none is extended", () => {
    expect(index.extensionNumbers("spooky.ssp.v1.RecordChange")).toEqual([]);
    expect(index.extensionNumbers("google.protobuf.Struct")).toEqual([]);
    expect(index.extensionNumbers("spooky.ssp.v1.Operation")).toBeUndefined();
    expect(index.extensionNumbers("spooky.ssp.v1.Nope")).toBeUndefined();
    expect(index.fileContainingExtension("spooky.ssp.v1.RecordChange", 100)).toBeUndefined();
  });
});

describe("extensions", () => {
  // proto2, since proto3 can extend only options: `message Base { extensions 100 to 200; }`,
  // extended at the top level and from inside a message, and a service using Base.
  const optionalInt = (name: string, number: number, extendee?: string) => ({
    name,
    number,
    label: Label.OPTIONAL,
    type: Type.INT32,
    jsonName: name,
    ...(extendee === undefined ? {} : { extendee }),
  });
  const base = create(FileDescriptorProtoSchema, {
    name: "ext/base.proto",
    package: "ext",
    syntax: "proto2",
    dependency: ["google/protobuf/duration.proto"],
    messageType: [{ name: "Base", extensionRange: [{ start: 100, end: 201 }] }],
    service: [{ name: "BaseService", method: [{ name: "Get", inputType: ".ext.Base", outputType: ".google.protobuf.Duration" }] }],
  });
  const more = create(FileDescriptorProtoSchema, {
    name: "ext/more.proto",
    package: "ext",
    syntax: "proto2",
    dependency: ["ext/base.proto"],
    extension: [optionalInt("tag", 150, ".ext.Base")],
    messageType: [{ name: "Holder", extension: [optionalInt("inner", 120, ".ext.Base")] }],
    service: [{ name: "MoreService", method: [{ name: "Get", inputType: ".ext.Base", outputType: ".ext.Holder" }] }],
  });
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [file_google_protobuf_duration.proto, base, more] }));
  const index = schemaIndex([registry.getService("ext.BaseService")!, registry.getService("ext.MoreService")!]);

  it("finds the file defining each extension, by extended type and number", () => {
    expect(index.fileContainingExtension("ext.Base", 150)?.proto.name).toBe("ext/more.proto");
    expect(index.fileContainingExtension("ext.Base", 120)?.proto.name).toBe("ext/more.proto");
    expect(index.fileContainingExtension("ext.Base", 121)).toBeUndefined();
    expect(index.fileContainingExtension("ext.Holder", 150)).toBeUndefined();
    expect(index.extensionNumbers("ext.Base")).toEqual([120, 150]);
    expect(index.fileContainingSymbol("ext.tag")?.proto.name).toBe("ext/more.proto");
    expect(index.fileContainingSymbol("ext.Holder.inner")?.proto.name).toBe("ext/more.proto");
  });

  it("walks imports through every level", () => {
    expect(index.withDependencies(index.fileByName("ext/more.proto")!).map((f) => f.name)).toEqual([
      "ext/more.proto",
      "ext/base.proto",
      "google/protobuf/duration.proto",
    ]);
  });
});
