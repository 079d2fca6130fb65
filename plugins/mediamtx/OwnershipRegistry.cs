using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameraService.Plugins.MediaMtx;

/// <summary>A recording as persisted, so a restarted service re-adopts it with its session id.</summary>
/// <remarks>
/// <see cref="MaxBytes"/> (size rotation) was added in v1.1; older files read as no limit. <see cref="RemoveAudio"/>
/// (<c>audio: false</c> of a camera with audio) likewise; older files read as false.
/// </remarks>
internal sealed record PersistedRecording(string? SessionId, string Format, DateTimeOffset StartTime, long MaxBytes = 0, bool RemoveAudio = false);

/// <summary>What the state file holds per path we created.</summary>
internal sealed record PersistedPath(PersistedRecording? Recording);

internal sealed record PersistedState(IReadOnlyDictionary<string, PersistedPath> Paths);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(PersistedState))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;

/// <summary>
/// The paths this plugin created (and their running recordings), persisted in the state directory with an atomic
/// write (temp file + rename). Together with the marker in the publisher command it decides which MediaMTX paths
/// are ours: we never touch the others. Without a state directory it lives in memory only.
/// </summary>
internal sealed class OwnershipRegistry
{
    private readonly string? _file;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PersistedPath> _paths = new(StringComparer.Ordinal);

    public OwnershipRegistry(string? stateDirectory)
    {
        _file = string.IsNullOrWhiteSpace(stateDirectory) ? null : Path.Combine(stateDirectory, "mediamtx-paths.json");
        if (_file != null && File.Exists(_file))
        {
            try
            {
                var state = JsonSerializer.Deserialize(File.ReadAllBytes(_file), RegistryJsonContext.Default.PersistedState);
                if (state?.Paths != null)
                {
                    foreach (var (k, v) in state.Paths)
                    {
                        _paths[k] = v;
                    }
                }
            }
            catch (JsonException)
            {
                // A corrupt state file only loses the session ids of adopted recordings; the marker still identifies our paths.
            }
        }
    }

    public bool Contains(string name)
    {
        lock (_gate)
        {
            return _paths.ContainsKey(name);
        }
    }

    public IReadOnlyDictionary<string, PersistedPath> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, PersistedPath>(_paths, StringComparer.Ordinal);
        }
    }

    public void Set(string name, PersistedRecording? recording)
    {
        lock (_gate)
        {
            _paths[name] = new PersistedPath(recording);
            Save();
        }
    }

    public void Remove(string name)
    {
        lock (_gate)
        {
            if (_paths.Remove(name))
            {
                Save();
            }
        }
    }

    private void Save()
    {
        if (_file is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var tmp = _file + ".tmp";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(new PersistedState(_paths), RegistryJsonContext.Default.PersistedState));
        File.Move(tmp, _file, overwrite: true);
    }
}
