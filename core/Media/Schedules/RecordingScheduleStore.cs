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
internal sealed class RecordingScheduleStore
{
    public const string FileName = "recording-schedules.json";

    private readonly StateDirectory _state;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Source, string StableId), RecordingSchedule> _schedules = [];

    public RecordingScheduleStore(StateDirectory state)
    {
        _state = state;
        Load();
    }

    /// <summary>Raised after a schedule was stored or removed: (source, stable id).</summary>
    public event Action<string, string>? Changed;

    /// <summary>The schedule of a camera, or null.</summary>
    public RecordingSchedule? Get(string source, string stableId)
    {
        lock (_gate)
        {
            return _schedules.GetValueOrDefault((source, stableId));
        }
    }

    /// <summary>Stores (replaces) the schedule of a camera and saves the file.</summary>
    public void Set(string source, string stableId, RecordingSchedule schedule)
    {
        lock (_gate)
        {
            var before = _schedules.GetValueOrDefault((source, stableId));
            _schedules[(source, stableId)] = schedule;
            try
            {
                SaveLocked();
            }
            catch
            {
                // Not saved means not stored: the caller gets the error and nothing changed.
                if (before is null)
                {
                    _schedules.Remove((source, stableId));
                }
                else
                {
                    _schedules[(source, stableId)] = before;
                }

                throw;
            }
        }

        Changed?.Invoke(source, stableId);
    }

    private void Load()
    {
        // A broken file is kept aside; the service starts without schedules rather than not at all.
        foreach (var camera in _state.ReadJsonOrQuarantine(FileName, ScheduleJsonContext.Default.RecordingSchedulesFile)?.Cameras ?? [])
        {
            _schedules[(camera.Source, camera.StableId)] = camera.Schedule;
        }
    }

    private void SaveLocked()
    {
        var file = new RecordingSchedulesFile(1, [.. _schedules
            .OrderBy(p => p.Key.Source, StringComparer.Ordinal).ThenBy(p => p.Key.StableId, StringComparer.Ordinal)
            .Select(p => new PersistedSchedule(p.Key.Source, p.Key.StableId, p.Value))]);
        _state.WriteAtomic(FileName, JsonSerializer.SerializeToUtf8Bytes(file, ScheduleJsonContext.Default.RecordingSchedulesFile));
    }
}

/// <summary>Source-generated JSON metadata of the schedule state file and wire shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(RecordingSchedulesFile))]
[JsonSerializable(typeof(RecordingScheduleResult))]
[JsonSerializable(typeof(RecordingScheduleListResult))]
internal sealed partial class ScheduleJsonContext : JsonSerializerContext;
