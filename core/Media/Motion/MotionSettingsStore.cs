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
/// Motion settings per camera stable id in <c>motion-detection.json</c> of the state directory (written atomically),
/// so they follow the camera across replug, restart and a changed <c>camera&lt;N&gt;</c>. A file that cannot be read
/// is kept aside as <c>.corrupt</c> and treated as empty (every camera off): one bad file never stops the service.
/// </summary>
internal sealed class MotionSettingsStore
{
    public const string FileName = "motion-detection.json";

    private readonly StateDirectory _state;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Source, string StableId), MotionSettings> _settings = [];

    public MotionSettingsStore(StateDirectory state)
    {
        _state = state;
        foreach (var camera in _state.ReadJsonOrQuarantine(FileName, MotionJsonContext.Default.MotionSettingsFile)?.Cameras ?? [])
        {
            _settings[(camera.Source, camera.StableId)] = camera.Settings;
        }
    }

    /// <summary>Raised after a camera's settings were stored: (source, stable id).</summary>
    public event Action<string, string>? Changed;

    /// <summary>The settings of a camera, or null when none were stored (off).</summary>
    public MotionSettings? Get(string source, string stableId)
    {
        lock (_gate)
        {
            return _settings.GetValueOrDefault((source, stableId));
        }
    }

    /// <summary>Stores (replaces) a camera's settings and saves the file; not saved means not stored.</summary>
    public void Set(string source, string stableId, MotionSettings settings)
    {
        lock (_gate)
        {
            var key = (source, stableId);
            var before = _settings.GetValueOrDefault(key);
            _settings[key] = settings;
            try
            {
                var file = new MotionSettingsFile(1, [.. _settings
                    .OrderBy(p => p.Key.Source, StringComparer.Ordinal).ThenBy(p => p.Key.StableId, StringComparer.Ordinal)
                    .Select(p => new PersistedMotionSettings(p.Key.Source, p.Key.StableId, p.Value))]);
                _state.WriteAtomic(FileName, JsonSerializer.SerializeToUtf8Bytes(file, MotionJsonContext.Default.MotionSettingsFile));
            }
            catch
            {
                if (before is null)
                {
                    _settings.Remove(key);
                }
                else
                {
                    _settings[key] = before;
                }

                throw;
            }
        }

        Changed?.Invoke(source, stableId);
    }
}

/// <summary>Source-generated JSON metadata of the motion state file and wire shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(MotionSettingsFile))]
[JsonSerializable(typeof(MotionDetectionResult))]
[JsonSerializable(typeof(MotionDetectionListResult))]
internal sealed partial class MotionJsonContext : JsonSerializerContext;
