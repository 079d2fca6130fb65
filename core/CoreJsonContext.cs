using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Events;
using CameraService.Core.Methods;
using CameraService.Core.Metrics;
using CameraService.Core.Rpc;

namespace CameraService.Core;

/// <summary>Source-generated JSON metadata for every type the core writes on the wire or to state files (no reflection at run time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(OpenRpcDocument))]
[JsonSerializable(typeof(PingReply))]
[JsonSerializable(typeof(MetricsResult))]
[JsonSerializable(typeof(ApiKeyFile))]
[JsonSerializable(typeof(CameraBindingFile))]
[JsonSerializable(typeof(CameraStatusEvent))]
[JsonSerializable(typeof(RecordingStatusEvent))]
[JsonSerializable(typeof(RecordingProgressEvent))]
[JsonSerializable(typeof(MotionDetectedEvent))]
[JsonSerializable(typeof(SnapshotTakenEvent))]
[JsonSerializable(typeof(StorageStatusEvent))]
[JsonSerializable(typeof(SystemHealthEvent))]
[JsonSerializable(typeof(AuthenticateResult))]
[JsonSerializable(typeof(CameraListResult))]
[JsonSerializable(typeof(CameraStatusResult))]
[JsonSerializable(typeof(CameraCapabilitiesResult))]
[JsonSerializable(typeof(SystemStatusResult))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(ServerInfoResult))]
[JsonSerializable(typeof(SubscribeResult))]
[JsonSerializable(typeof(UnsubscribeResult))]
[JsonSerializable(typeof(SubscriptionStatsResult))]
[JsonSerializable(typeof(ApiMetricsSnapshot))]
[JsonSerializable(typeof(SystemMetricsSnapshot))]
[JsonSerializable(typeof(CameraMetricsSection))]
[JsonSerializable(typeof(StreamMetricsSection))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
