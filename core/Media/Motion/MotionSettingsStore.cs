using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Core.Hosting;
using CameraService.Core.Methods;

namespace CameraService.Core.Media.Motion;

/// <summary>A camera's motion settings as persisted, bound to its source and stable id (not to <c>camera&lt;N&gt;</c>).</summary>
internal sealed record PersistedMotionSettings(string Source, string StableId, MotionSettings Settings);

/// <summary>The file format of <c>motion-detection.json</c>.</summary>
internal sealed record MotionSettingsFile(int Version, IReadOnlyList<PersistedMotionSettings> Cameras);

/// <summary>
/// Motion settings per camera stable id in <c>motion-detection.json</c> of the state directory (written atomically), so
/// they follow the camera across replug, restart and a changed <c>camera&lt;N&gt;</c>. A file that cannot be read is
/// kept aside as <c>.corrupt</c> and treated as empty (every camera off).
/// </summary>
internal sealed class MotionSettingsStore(StateDirectory state) : StableIdStore<MotionSettings>(state, FileName, Read, Serialize)
{
    public const string FileName = "motion-detection.json";

    private static IEnumerable<StableIdEntry<MotionSettings>>? Read(StateDirectory state) =>
        state.ReadJsonOrQuarantine(FileName, MotionJsonContext.Default.MotionSettingsFile)?.Cameras.Select(c => new StableIdEntry<MotionSettings>(c.Source, c.StableId, c.Settings));

    private static byte[] Serialize(IReadOnlyList<StableIdEntry<MotionSettings>> entries) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new MotionSettingsFile(1, [.. entries.Select(e => new PersistedMotionSettings(e.Source, e.StableId, e.Value))]),
            MotionJsonContext.Default.MotionSettingsFile);
}

/// <summary>Source-generated JSON metadata of the motion state file and wire shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(MotionSettingsFile))]
[JsonSerializable(typeof(MotionDetectionResult))]
[JsonSerializable(typeof(MotionDetectionListResult))]
internal sealed partial class MotionJsonContext : JsonSerializerContext;
