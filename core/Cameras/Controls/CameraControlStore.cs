using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Core.Hosting;

namespace CameraService.Core.Cameras.Controls;

/// <summary>The persisted control values of one camera, bound to its source and stable id (not to <c>camera&lt;N&gt;</c>).</summary>
internal sealed record PersistedCameraControls(string Source, string StableId, IReadOnlyDictionary<string, long> Controls);

/// <summary>The file format of <c>camera-controls.json</c>.</summary>
internal sealed record CameraControlsFile(int Version, IReadOnlyList<PersistedCameraControls> Cameras);

/// <summary>
/// Control values set through the API with <c>persist</c>, per camera stable id, in <c>camera-controls.json</c> of the
/// state directory (written atomically). A file that cannot be read is kept aside as <c>.corrupt</c> and treated as
/// empty, so one bad file never stops the service.
/// </summary>
internal sealed class CameraControlStore
{
    public const string FileName = "camera-controls.json";

    private readonly StateDirectory _state;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Source, string StableId), Dictionary<string, long>> _values = [];

    public CameraControlStore(StateDirectory state)
    {
        _state = state;
        Load();
    }

    /// <summary>The persisted values of a camera (empty when none).</summary>
    public IReadOnlyDictionary<string, long> Get(string source, string stableId)
    {
        lock (_gate)
        {
            return _values.TryGetValue((source, stableId), out var v) ? new Dictionary<string, long>(v, StringComparer.Ordinal) : new Dictionary<string, long>();
        }
    }

    /// <summary>Adds or replaces values of a camera and saves the file.</summary>
    public void Merge(string source, string stableId, IReadOnlyDictionary<string, long> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (!_values.TryGetValue((source, stableId), out var v))
            {
                v = new Dictionary<string, long>(StringComparer.Ordinal);
                _values[(source, stableId)] = v;
            }

            foreach (var (name, value) in values)
            {
                v[name] = value;
            }

            SaveLocked();
        }
    }

    /// <summary>Forgets every value of a camera and saves the file.</summary>
    public void Forget(string source, string stableId)
    {
        lock (_gate)
        {
            if (_values.Remove((source, stableId)))
            {
                SaveLocked();
            }
        }
    }

    private void Load()
    {
        // A broken file is kept aside; the service starts without persisted values rather than not at all.
        foreach (var camera in _state.ReadJsonOrQuarantine(FileName, CameraControlsJsonContext.Default.CameraControlsFile)?.Cameras ?? [])
        {
            _values[(camera.Source, camera.StableId)] = new Dictionary<string, long>(camera.Controls, StringComparer.Ordinal);
        }
    }

    private void SaveLocked()
    {
        var file = new CameraControlsFile(1, [.. _values
            .OrderBy(p => p.Key.Source, StringComparer.Ordinal).ThenBy(p => p.Key.StableId, StringComparer.Ordinal)
            .Select(p => new PersistedCameraControls(p.Key.Source, p.Key.StableId, new SortedDictionary<string, long>(p.Value, StringComparer.Ordinal)))]);
        _state.WriteAtomic(FileName, JsonSerializer.SerializeToUtf8Bytes(file, CameraControlsJsonContext.Default.CameraControlsFile));
    }
}

/// <summary>Source-generated JSON metadata of the camera-controls state file and wire shapes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(CameraControlsFile))]
[JsonSerializable(typeof(CameraControlsResult))]
[JsonSerializable(typeof(CameraControlsSetResult))]
[JsonSerializable(typeof(CameraControlsResetResult))]
[JsonSerializable(typeof(CameraControlsChangedEvent))]
internal sealed partial class CameraControlsJsonContext : JsonSerializerContext;
