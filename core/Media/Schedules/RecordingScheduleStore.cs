using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Core.Hosting;
using CameraService.Core.Methods;

namespace CameraService.Core.Media.Schedules;

/// <summary>A camera's schedule as persisted, bound to its source and stable id (not to <c>camera&lt;N&gt;</c>).</summary>
internal sealed record PersistedSchedule(string Source, string StableId, RecordingSchedule Schedule);

/// <summary>The file format of <c>recording-schedules.json</c>.</summary>
internal sealed record RecordingSchedulesFile(int Version, IReadOnlyList<PersistedSchedule> Cameras);

/// <summary>
/// Recording schedules per camera stable id, in <c>recording-schedules.json</c> of the state directory (written
/// atomically), so a schedule follows its camera across replug, restart and a changed <c>camera&lt;N&gt;</c>. A file
/// that cannot be read is kept aside as <c>.corrupt</c> and treated as empty: one bad file never stops the service.
/// </summary>
internal sealed class RecordingScheduleStore(StateDirectory state) : StableIdStore<RecordingSchedule>(state, FileName, Read, Serialize)
{
    public const string FileName = "recording-schedules.json";

    private static IEnumerable<StableIdEntry<RecordingSchedule>>? Read(StateDirectory state) =>
        state.ReadJsonOrQuarantine(FileName, ScheduleJsonContext.Default.RecordingSchedulesFile)?.Cameras.Select(c => new StableIdEntry<RecordingSchedule>(c.Source, c.StableId, c.Schedule));

    private static byte[] Serialize(IReadOnlyList<StableIdEntry<RecordingSchedule>> entries) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new RecordingSchedulesFile(1, [.. entries.Select(e => new PersistedSchedule(e.Source, e.StableId, e.Value))]),
            ScheduleJsonContext.Default.RecordingSchedulesFile);
}

/// <summary>Source-generated JSON metadata of the schedule state file and wire shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(RecordingSchedulesFile))]
[JsonSerializable(typeof(RecordingScheduleResult))]
[JsonSerializable(typeof(RecordingScheduleListResult))]
internal sealed partial class ScheduleJsonContext : JsonSerializerContext;
