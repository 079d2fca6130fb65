namespace CameraService.Core.Hosting;

/// <summary>One camera's stored value in a <see cref="StableIdStore{TValue}"/>: bound to its source and stable id.</summary>
internal readonly record struct StableIdEntry<TValue>(string Source, string StableId, TValue Value);

/// <summary>
/// A value per camera stable id (not per <c>camera&lt;N&gt;</c>, so it follows the camera across replug, restart and a
/// changed id) in one JSON file of the state directory, written atomically on every change. A file that cannot be read
/// is kept aside as <c>.corrupt</c> and treated as empty: one bad file never stops the service. A change that cannot
/// be saved is not stored (the caller gets the error, nothing changed). The subclass names the file and its JSON shape
/// (recording schedules, motion settings).
/// </summary>
internal abstract class StableIdStore<TValue>
    where TValue : class
{
    private readonly StateDirectory _state;
    private readonly string _fileName;
    private readonly Func<IReadOnlyList<StableIdEntry<TValue>>, byte[]> _serialize;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Source, string StableId), TValue> _values = [];

    /// <param name="state">The state directory.</param>
    /// <param name="fileName">The file in it.</param>
    /// <param name="read">Reads the file's entries (null or empty when there is none; quarantines a bad one).</param>
    /// <param name="serialize">The file's bytes for all entries, ordered by source and stable id.</param>
    protected StableIdStore(
        StateDirectory state,
        string fileName,
        Func<StateDirectory, IEnumerable<StableIdEntry<TValue>>?> read,
        Func<IReadOnlyList<StableIdEntry<TValue>>, byte[]> serialize)
    {
        ArgumentNullException.ThrowIfNull(read);
        _state = state;
        _fileName = fileName;
        _serialize = serialize;
        foreach (var entry in read(state) ?? [])
        {
            _values[(entry.Source, entry.StableId)] = entry.Value;
        }
    }

    /// <summary>Raised after a camera's value was stored: (source, stable id).</summary>
    public event Action<string, string>? Changed;

    /// <summary>The value of a camera, or null.</summary>
    public TValue? Get(string source, string stableId)
    {
        lock (_gate)
        {
            return _values.GetValueOrDefault((source, stableId));
        }
    }

    /// <summary>Stores (replaces) the value of a camera and saves the file.</summary>
    public void Set(string source, string stableId, TValue value)
    {
        lock (_gate)
        {
            var key = (source, stableId);
            var before = _values.GetValueOrDefault(key);
            _values[key] = value;
            try
            {
                _state.WriteAtomic(_fileName, _serialize([.. _values
                    .OrderBy(p => p.Key.Source, StringComparer.Ordinal).ThenBy(p => p.Key.StableId, StringComparer.Ordinal)
                    .Select(p => new StableIdEntry<TValue>(p.Key.Source, p.Key.StableId, p.Value))]));
            }
            catch
            {
                // Not saved means not stored: the caller gets the error and nothing changed.
                if (before is null)
                {
                    _values.Remove(key);
                }
                else
                {
                    _values[key] = before;
                }

                throw;
            }
        }

        Changed?.Invoke(source, stableId);
    }
}
